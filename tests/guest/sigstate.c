/* rt_sigaction, rt_sigprocmask, sigaltstack, sigpending: state is recorded and read back (no delivery) */
#include "common.h"
#include <signal.h>

static void h1(int s) { (void)s; }
static void h2(int s, siginfo_t *i, void *c) { (void)s; (void)i; (void)c; }

static const char *disp(void (*h)(int))
{
	if (h == SIG_DFL) return "SIG_DFL";
	if (h == SIG_IGN) return "SIG_IGN";
	if (h == h1) return "h1";
	if (h == (void (*)(int))h2) return "h2";
	return "?";
}

int main(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h1;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sa.sa_flags = SA_RESTART;
	T(sigaction(SIGUSR1, &sa, &old));
	printf("old SIGUSR1: %s\n", disp(old.sa_handler));
	T(sigaction(SIGUSR1, NULL, &old));
	printf("now SIGUSR1: %s restart %d mask has USR2 %d\n", disp(old.sa_handler), !!(old.sa_flags & SA_RESTART), sigismember(&old.sa_mask, SIGUSR2));
	sa.sa_sigaction = h2;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	T(sigaction(SIGUSR2, &sa, NULL));
	T(sigaction(SIGUSR2, NULL, &old));
	printf("SIGUSR2: %s siginfo %d onstack %d\n", disp(old.sa_handler), !!(old.sa_flags & SA_SIGINFO), !!(old.sa_flags & SA_ONSTACK));
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	T(sigaction(SIGPIPE, &sa, NULL));
	T(sigaction(SIGPIPE, NULL, &old));
	printf("SIGPIPE: %s\n", disp(old.sa_handler));
	T(sigaction(SIGKILL, &sa, NULL));
	T(sigaction(SIGSTOP, &sa, NULL));
	T(sigaction(0, &sa, NULL));
	T(sigaction(65, &sa, NULL));
	T(sigaction(SIGKILL, NULL, &old));
	printf("SIGKILL: %s\n", disp(old.sa_handler));
	/* default dispositions of untouched signals */
	T(sigaction(SIGTERM, NULL, &old));
	printf("SIGTERM: %s\n", disp(old.sa_handler));
	/* masks */
	sigset_t set, oldset;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	T(sigprocmask(SIG_BLOCK, &set, &oldset));
	printf("old mask empty of USR1: %d\n", !sigismember(&oldset, SIGUSR1));
	T(sigprocmask(SIG_BLOCK, NULL, &oldset));
	printf("mask: USR1 %d TERM %d USR2 %d\n", sigismember(&oldset, SIGUSR1), sigismember(&oldset, SIGTERM), sigismember(&oldset, SIGUSR2));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	T(sigprocmask(SIG_UNBLOCK, &set, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGKILL);
	sigaddset(&set, SIGSTOP);
	sigaddset(&set, SIGHUP);
	T(sigprocmask(SIG_SETMASK, &set, NULL));
	T(sigprocmask(SIG_SETMASK, NULL, &oldset));
	printf("mask: USR1 %d TERM %d HUP %d KILL %d STOP %d\n", sigismember(&oldset, SIGUSR1), sigismember(&oldset, SIGTERM),
	       sigismember(&oldset, SIGHUP), sigismember(&oldset, SIGKILL), sigismember(&oldset, SIGSTOP));
	T(sigprocmask(99, &set, NULL));
	sigset_t pend;
	T(sigpending(&pend));
	printf("pending HUP: %d\n", sigismember(&pend, SIGHUP));
	/* a blocked signal sent to ourselves stays pending (no delivery needed) */
	T(kill(getpid(), SIGHUP));
	T(sigpending(&pend));
	printf("pending HUP after kill: %d\n", sigismember(&pend, SIGHUP));
	/* ignored signal sent to ourselves is discarded */
	T(kill(getpid(), SIGPIPE));
	T(kill(getpid(), 0));
	T(kill(getpid(), 99));
	/* sigaltstack */
	stack_t ss, oss;
	static char altstack[1 << 16];
	T(sigaltstack(NULL, &oss));
	printf("initial altstack disabled: %d\n", !!(oss.ss_flags & SS_DISABLE));
	ss.ss_sp = altstack;
	ss.ss_size = sizeof altstack;
	ss.ss_flags = 0;
	T(sigaltstack(&ss, NULL));
	T(sigaltstack(NULL, &oss));
	printf("altstack set: same base %d size %zu flags %d\n", oss.ss_sp == (void *)altstack, (size_t)oss.ss_size, oss.ss_flags);
	ss.ss_size = 100;
	T(sigaltstack(&ss, NULL));
	ss.ss_flags = SS_DISABLE;
	T(sigaltstack(&ss, NULL));
	T(sigaltstack(NULL, &oss));
	printf("altstack disabled again: %d\n", !!(oss.ss_flags & SS_DISABLE));
	/* SIGHUP is still blocked and pending: exiting normally must not deliver it */
	return 0;
}
