/* SIGUSR1 handlers via raise and kill(getpid()); SA_SIGINFO fields (si_signo, si_code, si_pid,
 * si_uid, si_value); the handler's mask; SA_NODEFER; SA_RESETHAND; sigqueue; SIG_IGN. */
#include "common.h"
#include <signal.h>

static volatile sig_atomic_t count;
static volatile int calls;
static volatile int last_signo, last_code, pid_ok, uid_ok, value, self_blocked, usr2_blocked, depth, max_depth;

static void plain(int sig) { count++; last_signo = sig; }

static void info(int sig, siginfo_t *si, void *uc)
{
	count++;
	last_signo = si->si_signo;
	last_code = si->si_code;
	pid_ok = si->si_pid == getpid();
	uid_ok = si->si_uid == getuid();
	value = si->si_value.sival_int;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	self_blocked = sigismember(&cur, sig);
	usr2_blocked = sigismember(&cur, SIGUSR2);
}

static void nested(int sig)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (++calls < 3)
		raise(sig);
	depth--;
}

static const char *code_name(int c)
{
	switch (c) {
	case SI_USER: return "SI_USER";
	case SI_QUEUE: return "SI_QUEUE";
	case SI_TKILL: return "SI_TKILL";
	case SI_KERNEL: return "SI_KERNEL";
	}
	return "other";
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain;
	T(sigaction(SIGUSR1, &sa, NULL));
	T(raise(SIGUSR1));
	printf("after raise: count %d signo %d\n", (int)count, last_signo);
	T(kill(getpid(), SIGUSR1));
	printf("after kill: count %d\n", (int)count);

	sa.sa_sigaction = info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	T(sigaction(SIGUSR1, &sa, NULL));
	raise(SIGUSR1);
	printf("raise: signo %d code %s pid_ok %d uid_ok %d self_blocked %d usr2_blocked %d\n", last_signo,
	       code_name(last_code), pid_ok, uid_ok, self_blocked, usr2_blocked);
	kill(getpid(), SIGUSR1);
	printf("kill: signo %d code %s pid_ok %d uid_ok %d\n", last_signo, code_name(last_code), pid_ok, uid_ok);
	union sigval v = {.sival_int = 4242};
	T(sigqueue(getpid(), SIGUSR1, v));
	printf("sigqueue: signo %d code %s pid_ok %d value %d\n", last_signo, code_name(last_code), pid_ok, value);
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR1);
	printf("tgkill: code %s pid_ok %d\n", code_name(last_code), pid_ok);
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("mask restored after handlers: usr1 %d usr2 %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2));

	/* SA_NODEFER lets the handler nest; without it the raise inside stays pending until return */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = nested;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("SA_NODEFER max depth %d calls %d\n", max_depth, calls);
	max_depth = depth = calls = 0;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("no SA_NODEFER max depth %d calls %d\n", max_depth, calls);

	/* SA_RESETHAND: the disposition is back to SIG_DFL after one delivery */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGUSR2, &sa, NULL);
	count = 0;
	raise(SIGUSR2);
	struct sigaction old;
	sigaction(SIGUSR2, NULL, &old);
	printf("SA_RESETHAND: count %d, now default %d\n", (int)count, old.sa_handler == SIG_DFL);

	/* ignored signals do nothing */
	signal(SIGUSR1, SIG_IGN);
	T(raise(SIGUSR1));
	T(kill(getpid(), SIGUSR1));
	printf("still alive after ignored SIGUSR1\n");
	T(kill(getpid(), 0));
	T(sigaction(SIGKILL, &sa, NULL));
	T(sigaction(SIGSTOP, &sa, NULL));
	T(sigaction(65, &sa, NULL));
	T(kill(getpid(), 65));
	return 0;
}
