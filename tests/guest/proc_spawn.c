/* posix_spawn and posix_spawnp of /bin/busybox applets: file actions (open stdout onto a file,
 * dup2, close), setsigmask/setsigdef, a spawn of a missing program; a busybox pipeline built by hand
 * with two spawns and a pipe (what popen and system would do without /bin/sh, which on Debian is
 * dynamically linked dash). */
#include "common.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static int wait_for(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
	pid_t p;
	char *a1[] = {"busybox", "echo", "spawned", "hello", NULL};
	fflush(stdout);
	int r = posix_spawn(&p, "/bin/busybox", NULL, NULL, a1, environ);
	printf("posix_spawn = %s, status %d\n", errname(r), wait_for(p));

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "spawn-out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char *a2[] = {"busybox", "sh", "-c", "echo to-file; echo to-stderr >&2; exit 3", NULL};
	r = posix_spawn(&p, "/bin/busybox", &fa, NULL, a2, environ);
	printf("with file actions = %s, status %d\n", errname(r), wait_for(p));
	posix_spawn_file_actions_destroy(&fa);
	int fd = open("spawn-out.txt", O_RDONLY);
	char buf[256];
	int n = (int)read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	printf("spawn-out.txt: %s", buf);

	/* posix_spawnp searches PATH */
	char *a3[] = {"busybox", "true", NULL};
	fflush(stdout);
	r = posix_spawnp(&p, "busybox", NULL, NULL, a3, environ);
	printf("posix_spawnp busybox = %s, status %d\n", errname(r), wait_for(p));

	/* signal mask and defaults */
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	posix_spawnattr_setsigmask(&at, &s);
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	posix_spawnattr_setsigdefault(&at, &s);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	signal(SIGINT, SIG_IGN);
	char *a4[] = {"busybox", "sh", "-c", "kill -TERM $$; echo survived blocked TERM", NULL};
	fflush(stdout);
	r = posix_spawn(&p, "/bin/busybox", NULL, &at, a4, environ);
	printf("spawn with sigmask = %s, status %d\n", errname(r), wait_for(p));
	posix_spawnattr_destroy(&at);

	/* a missing program: ENOENT from posix_spawn itself (both libcs report the child's exec error) */
	char *a5[] = {"nothing", NULL};
	r = posix_spawn(&p, "/no/such/program", NULL, NULL, a5, environ);
	printf("missing program = %s", errname(r));
	if (r == 0)
		printf(" (status %d)", wait_for(p));
	printf("\n");

	/* a pipeline by hand: busybox seq 1 50 | busybox grep 7 */
	int pp[2];
	pipe(pp);
	posix_spawn_file_actions_t f1, f2;
	posix_spawn_file_actions_init(&f1);
	posix_spawn_file_actions_adddup2(&f1, pp[1], 1);
	posix_spawn_file_actions_addclose(&f1, pp[0]);
	posix_spawn_file_actions_addclose(&f1, pp[1]);
	posix_spawn_file_actions_init(&f2);
	posix_spawn_file_actions_adddup2(&f2, pp[0], 0);
	posix_spawn_file_actions_addclose(&f2, pp[0]);
	posix_spawn_file_actions_addclose(&f2, pp[1]);
	char *s1[] = {"busybox", "seq", "1", "50", NULL};
	char *s2[] = {"busybox", "grep", "7", NULL};
	pid_t q1, q2;
	fflush(stdout);
	posix_spawn(&q1, "/bin/busybox", &f1, NULL, s1, environ);
	posix_spawn(&q2, "/bin/busybox", &f2, NULL, s2, environ);
	close(pp[0]);
	close(pp[1]);
	int c1 = wait_for(q1), c2 = wait_for(q2);
	printf("pipeline statuses %d %d\n", c1, c2);

	/* reading a spawned program's output through a pipe, popen-style */
	pipe(pp);
	posix_spawn_file_actions_t f3;
	posix_spawn_file_actions_init(&f3);
	posix_spawn_file_actions_adddup2(&f3, pp[1], 1);
	posix_spawn_file_actions_addclose(&f3, pp[0]);
	char *s3[] = {"busybox", "sh", "-c", "for i in 1 2 3; do echo line $i; done | busybox wc -l", NULL};
	posix_spawn(&q1, "/bin/busybox", &f3, NULL, s3, environ);
	close(pp[1]);
	n = 0;
	int k;
	while ((k = (int)read(pp[0], buf + n, sizeof buf - 1 - n)) > 0)
		n += k;
	buf[n] = 0;
	close(pp[0]);
	printf("read back: [%s] status %d\n", buf, wait_for(q1));
	return 0;
}
