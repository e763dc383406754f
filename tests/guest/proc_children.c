/* 100 children at once, reaped with wait(); the exit codes are printed sorted, not in completion
 * order. Then 100 more with waitpid(-1, WNOHANG) polling, and 300 fork/_exit/wait rounds. */
#include "common.h"
#include <sys/wait.h>

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void)
{
	int codes[100], st, n = 0;
	pid_t pids[100];
	fflush(stdout);
	for (int i = 0; i < 100; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			printf("fork %d failed: %s\n", i, errname(errno));
			return 1;
		}
		if (pids[i] == 0) {
			/* a little work of varying length so they end in no particular order */
			volatile unsigned x = 0;
			for (unsigned k = 0; k < (unsigned)((i * 7919) % 100) * 1000; k++)
				x += k;
			_exit(i + 100);
		}
	}
	pid_t w;
	int matched = 0;
	while ((w = wait(&st)) > 0) {
		codes[n++] = WEXITSTATUS(st);
		for (int i = 0; i < 100; i++)
			if (pids[i] == w && WEXITSTATUS(st) == i + 100)
				matched++;
	}
	printf("reaped %d, pid matched its code %d times, then wait says %s\n", n, matched, errname(errno));
	qsort(codes, n, sizeof codes[0], cmp);
	for (int i = 0; i < n; i++)
		printf("%d%c", codes[i], i % 20 == 19 ? '\n' : ' ');

	fflush(stdout);
	for (int i = 0; i < 100; i++)
		if (fork() == 0)
			_exit(i % 7);
	int hist[7] = {0};
	n = 0;
	while (n < 100) {
		w = waitpid(-1, &st, WNOHANG);
		if (w > 0) {
			hist[WEXITSTATUS(st)]++;
			n++;
		} else if (w < 0) {
			printf("waitpid error %s\n", errname(errno));
			return 1;
		}
	}
	printf("WNOHANG reaped %d:", n);
	for (int i = 0; i < 7; i++)
		printf(" %d", hist[i]);
	printf("\n");

	long sum = 0;
	for (int i = 0; i < 300; i++) {
		fflush(stdout);
		pid_t p = fork();
		if (p == 0)
			_exit(i & 0xff);
		waitpid(p, &st, 0);
		sum += WEXITSTATUS(st);
	}
	printf("300 sequential children, status sum %ld\n", sum);
	return 0;
}
