/* A signal sent from outside: prints "ready", then waits; the test sends SIGTERM (or SIGINT, SIGHUP,
 * SIGUSR1) to the process it started. argv[1]: "handle" (handler prints what it got, exit 3) or
 * "default" (no handler: dies of the signal). */
#include "common.h"
#include <signal.h>

static volatile sig_atomic_t got, code, from_other;
static void h(int s, siginfo_t *si, void *uc)
{
	got = s;
	code = si->si_code;
	from_other = si->si_pid != getpid();
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "handle")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = h;
		sa.sa_flags = SA_SIGINFO;
		int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
		sigset_t b, old;
		sigemptyset(&b);
		for (int i = 0; i < 4; i++) {
			sigaction(sigs[i], &sa, NULL);
			sigaddset(&b, sigs[i]);
		}
		sigprocmask(SIG_BLOCK, &b, &old);
		printf("ready\n");
		fflush(stdout);
		while (!got)
			sigsuspend(&old);
		printf("handler got signal %d, si_code %s, sender is another process: %s\n", (int)got,
		       code == SI_USER ? "SI_USER" : "other", from_other ? "yes" : "no");
		return 3;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
