/* A pipe each way between parent and child: the parent sends 1 MiB, the child returns a checksum and
 * an uppercased copy of a line; EOF when the writer closes; SIGPIPE/EPIPE when the reader is gone;
 * a child writing 256 KiB into a pipe the parent drains after the child exits. */
#include "common.h"
#include <ctype.h>
#include <signal.h>
#include <sys/wait.h>

static int readall(int fd, char *buf, int max)
{
	int n = 0, r;
	while (n < max && (r = read(fd, buf + n, max - n)) > 0)
		n += r;
	return n;
}

int main(void)
{
	int down[2], up[2], st;
	pipe(down);
	pipe(up);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(down[1]);
		close(up[0]);
		char line[64];
		int n = 0;
		char c;
		while (n < 63 && read(down[0], &c, 1) == 1 && c != '\n')
			line[n++] = (char)toupper(c);
		line[n++] = '\n';
		write(up[1], line, n);
		unsigned long sum = 0, total = 0;
		char buf[4096];
		int r;
		while ((r = read(down[0], buf, sizeof buf)) > 0) {
			for (int i = 0; i < r; i++)
				sum = sum * 31 + (unsigned char)buf[i];
			total += r;
		}
		char msg[100];
		int m = snprintf(msg, sizeof msg, "child got %lu bytes, checksum %lx, then EOF (%d)\n", total, sum, r);
		write(up[1], msg, m);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	write(down[1], "hello from the parent\n", 22);
	char *big = malloc(1 << 20);
	unsigned long sum = 0;
	for (int i = 0; i < (1 << 20); i++) {
		big[i] = (char)(i * 13 + (i >> 9));
		sum = sum * 31 + (unsigned char)big[i];
	}
	int off = 0;
	while (off < (1 << 20)) {
		int w = write(down[1], big + off, (1 << 20) - off);
		if (w <= 0)
			break;
		off += w;
	}
	close(down[1]);
	char reply[256];
	int n = readall(up[0], reply, sizeof reply - 1);
	reply[n] = 0;
	printf("%s", reply);
	printf("parent's checksum %lx\n", sum);
	waitpid(p, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	close(up[0]);

	/* EPIPE with SIGPIPE ignored in the child, death by SIGPIPE in the other */
	for (int ign = 1; ign >= 0; ign--) {
		int q[2], sync[2];
		pipe(q);
		pipe(sync);
		fflush(stdout);
		p = fork();
		if (p == 0) {
			close(q[0]);
			close(sync[1]);
			char c;
			read(sync[0], &c, 1); /* EOF once the parent has closed its read end */
			if (ign)
				signal(SIGPIPE, SIG_IGN);
			int r = write(q[1], "x", 1);
			printf("child write to a pipe without readers: %d %s\n", r, errname(errno));
			fflush(stdout);
			_exit(0);
		}
		close(q[0]);
		close(q[1]);
		close(sync[0]);
		close(sync[1]);
		waitpid(p, &st, 0);
		if (WIFSIGNALED(st))
			printf("child killed by signal %d\n", WTERMSIG(st));
		else
			printf("child exited %d\n", WEXITSTATUS(st));
	}

	/* the child fills the pipe with more than its capacity; the parent drains after a while */
	int q[2];
	pipe(q);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		close(q[0]);
		char buf[8192];
		memset(buf, 'z', sizeof buf);
		for (int i = 0; i < 32; i++)
			write(q[1], buf, sizeof buf);
		_exit(5);
	}
	close(q[1]);
	char *got = malloc(1 << 20);
	n = readall(q[0], got, 1 << 20);
	int allz = 1;
	for (int i = 0; i < n; i++)
		allz &= got[i] == 'z';
	waitpid(p, &st, 0);
	printf("drained %d bytes, all z: %d, child status %d\n", n, allz, WEXITSTATUS(st));
	return 0;
}
