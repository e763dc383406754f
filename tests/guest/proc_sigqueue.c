/* sigqueue to another process: the child's SA_SIGINFO handler sees SI_QUEUE, the value and the
 * sender's pid; kill(pid, 0) probes it; a pid nobody has gives ESRCH. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got, code, value, from_parent;
static void on_usr1(int s, siginfo_t *si, void *uc)
{
	(void)s;
	(void)uc;
	got = 1;
	code = si->si_code;
	value = si->si_value.sival_int;
	from_parent = si->si_pid == getppid();
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	int ready[2];
	pipe(ready);
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	pid_t p = fork();
	if (p == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_usr1;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		write(ready[1], "r", 1);
		while (!got)
			sigsuspend(&old);
		printf("child: SI_QUEUE %s, value %d, from parent %s\n", code == SI_QUEUE ? "yes" : "no", (int)value,
		       from_parent ? "yes" : "no");
		_exit(7);
	}
	char c;
	read(ready[0], &c, 1);
	/* Results are printed once the child is done, so the two outputs never interleave. */
	int probe = kill(p, 0);
	union sigval v = {.sival_int = 42};
	int queued = sigqueue(p, SIGUSR1, v);
	int st;
	waitpid(p, &st, 0);
	printf("kill(p, 0) before = %d, sigqueue = %d\n", probe, queued);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	T(kill(p, 0));
	T(sigqueue(p, SIGUSR1, v));
	return 0;
}
