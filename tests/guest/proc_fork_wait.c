/* fork + wait: exit codes, a chain of 10 generations passing statuses up, deaths by signal
 * (WIFSIGNALED/WTERMSIG), waitpid of a chosen child, ECHILD, vfork, getppid in the child, the fd
 * table and memory copied (not shared) at fork. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static void show(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: other status\n", what);
}

static int chain(int depth)
{
	if (depth == 10)
		return 1;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(chain(depth + 1) + 1);
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int main(void)
{
	int st;
	pid_t me = getpid();
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		printf("child: getppid == parent's getpid: %s, getpid differs: %s\n", getppid() == me ? "yes" : "no",
		       getpid() != me ? "yes" : "no");
		exit(7);
	}
	pid_t w = waitpid(p, &st, 0);
	printf("waitpid returned the child: %s\n", w == p ? "yes" : "no");
	show("exit(7)", st);
	printf("chain of 10 generations returns %d\n", chain(0));

	int sigs[] = {SIGTERM, SIGKILL, SIGUSR1, SIGSEGV, SIGABRT, SIGPIPE};
	for (int i = 0; i < 6; i++) {
		fflush(stdout);
		p = fork();
		if (p == 0) {
			if (sigs[i] == SIGSEGV)
				*(volatile int *)0 = 1;
			if (sigs[i] == SIGABRT)
				abort();
			if (sigs[i] == SIGPIPE) {
				int q[2];
				pipe(q);
				close(q[0]);
				write(q[1], "x", 1);
			}
			kill(getpid(), sigs[i]);
			_exit(99);
		}
		wait(&st);
		char what[32];
		snprintf(what, sizeof what, "child signal %d", sigs[i]);
		show(what, st);
	}
	/* the parent kills a child blocked in pause() */
	fflush(stdout);
	int sync[2];
	pipe(sync);
	p = fork();
	if (p == 0) {
		close(sync[0]);
		close(sync[1]); /* EOF tells the parent we are about to pause */
		for (;;)
			pause();
	}
	close(sync[1]);
	char c;
	read(sync[0], &c, 1);
	close(sync[0]);
	kill(p, SIGKILL);
	waitpid(p, &st, 0);
	show("parent's SIGKILL", st);

	/* three children, reaped in a chosen order */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(20 + i);
	}
	for (int i = 2; i >= 0; i--) {
		waitpid(kids[i], &st, 0);
		printf("kid %d: %d\n", i, WEXITSTATUS(st));
	}
	errno = 0;
	printf("wait with no children: %d %s\n", (int)wait(&st), errname(errno));
	printf("waitpid of a stranger: %d %s\n", (int)waitpid(1, &st, WNOHANG), errname(errno));

	/* memory and descriptors are copies */
	int value = 1;
	int fd = open("shared-offset.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		value = 2;
		write(fd, "child-", 6); /* moves the shared offset */
		close(fd);
		_exit(value);
	}
	waitpid(p, &st, 0);
	write(fd, "parent\n", 7);
	printf("after child: value %d, child saw %d, offset %ld\n", value, WEXITSTATUS(st), (long)lseek(fd, 0, SEEK_CUR));
	close(fd);

	/* vfork: the child runs first, the parent resumes after _exit */
	fflush(stdout);
	p = vfork();
	if (p == 0)
		_exit(33);
	waitpid(p, &st, 0);
	show("vfork child", st);
	return 0;
}
