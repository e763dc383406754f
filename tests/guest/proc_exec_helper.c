/* Run by proc_exec (and proc_spawn) through execve: reports what it inherited: argv, one env
 * variable, which of fds 0..9 are open (and their FD_CLOEXEC flag), the content read from fd 5 (at
 * the offset the parent left), signal dispositions and mask; exits with argv[1]'s number. */
#include "common.h"
#include <signal.h>

int main(int argc, char **argv)
{
	printf("helper argc %d:", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\nhelper HELPER_VAR=%s\n", getenv("HELPER_VAR") ? getenv("HELPER_VAR") : "(unset)");
	if (getenv("EXPECT_PID"))
		printf("helper pid unchanged by execve: %s\n", atoi(getenv("EXPECT_PID")) == getpid() ? "yes" : "no");
	printf("helper open fds:");
	for (int fd = 0; fd < 10; fd++) {
		int f = fcntl(fd, F_GETFD);
		if (f >= 0)
			printf(" %d%s", fd, f & FD_CLOEXEC ? "(cloexec!)" : "");
	}
	printf("\n");
	char buf[64];
	int n = (int)read(5, buf, sizeof buf - 1);
	if (n >= 0) {
		buf[n] = 0;
		printf("helper read from fd 5: [%s]\n", buf);
	}
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	printf("helper SIGUSR1 %s\n", sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handler?!");
	sigaction(SIGUSR2, NULL, &sa);
	printf("helper SIGUSR2 %s\n", sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handler?!");
	sigset_t m, p;
	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	printf("helper blocked: HUP %d USR1 %d, pending HUP %d\n", sigismember(&m, SIGHUP), sigismember(&m, SIGUSR1),
	       sigismember(&p, SIGHUP));
	fflush(stdout);
	return argc > 1 ? atoi(argv[1]) : 0;
}
