/* abort(): SIGABRT default action, status 134; output before it is kept */
#include "common.h"
#include <signal.h>

int main(int argc, char **argv)
{
	printf("before abort\n");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "raise")) raise(SIGABRT);
	if (argc > 1 && !strcmp(argv[1], "kill")) kill(getpid(), SIGTERM);
	if (argc > 1 && !strcmp(argv[1], "tgkill")) syscall(SYS_tgkill, getpid(), gettid(), SIGKILL);
	if (argc > 1 && !strcmp(argv[1], "blocked")) {
		/* abort() must terminate even when SIGABRT is blocked or ignored */
		sigset_t s; sigemptyset(&s); sigaddset(&s, SIGABRT);
		sigprocmask(SIG_BLOCK, &s, NULL);
		signal(SIGABRT, SIG_IGN);
	}
	abort();
	printf("not reached\n");
	return 0;
}
