/* Masks: a blocked signal stays pending and is delivered once on unmask; several pending standard
 * signals are delivered in Linux's order; queued real-time signals arrive once each, in order, with
 * their values; sigsuspend; SIG_SETMASK round trip. */
#include "common.h"
#include <pthread.h>
#include <signal.h>

static int order[64], norder;
static int values[64];
static void rec(int sig, siginfo_t *si, void *uc)
{
	if (norder < 64) {
		values[norder] = si->si_value.sival_int;
		order[norder++] = sig;
	}
}

static void print_order(const char *what)
{
	printf("%s:", what);
	for (int i = 0; i < norder; i++)
		printf(" %s", order[i] == SIGUSR1 ? "USR1" : order[i] == SIGUSR2 ? "USR2" : order[i] == SIGTERM ? "TERM"
		       : order[i] == SIGHUP ? "HUP" : order[i] >= SIGRTMIN ? "RT" : "?");
	printf("\n");
	norder = 0;
}

static void set_handler(int sig, int full_mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = rec;
	sa.sa_flags = SA_SIGINFO;
	if (full_mask)
		sigfillset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static pthread_t main_thr;
static void *sender(void *arg)
{
	pthread_kill(main_thr, SIGUSR2);
	return NULL;
}

int main(void)
{
	int sigs[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGHUP};
	for (int i = 0; i < 4; i++)
		set_handler(sigs[i], 0);
	sigset_t b, old, pend;
	sigemptyset(&b);
	sigaddset(&b, SIGUSR1);
	T(sigprocmask(SIG_BLOCK, &b, &old));
	raise(SIGUSR1);
	raise(SIGUSR1);
	kill(getpid(), SIGUSR1);
	print_order("while blocked");
	sigpending(&pend);
	printf("pending usr1 %d usr2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));
	T(sigprocmask(SIG_UNBLOCK, &b, NULL));
	print_order("after unblock (standard signals do not queue)");
	sigpending(&pend);
	printf("pending usr1 after delivery %d\n", sigismember(&pend, SIGUSR1));

	/* several pending at once, handlers with empty sa_mask */
	sigfillset(&b);
	sigprocmask(SIG_SETMASK, &b, &old);
	raise(SIGTERM);
	raise(SIGUSR2);
	raise(SIGHUP);
	raise(SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	print_order("four pending, empty sa_mask");
	/* the same with handlers that block everything */
	for (int i = 0; i < 4; i++)
		set_handler(sigs[i], 1);
	sigprocmask(SIG_SETMASK, &b, &old);
	raise(SIGTERM);
	raise(SIGUSR2);
	raise(SIGHUP);
	raise(SIGUSR1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	print_order("four pending, full sa_mask");

	/* real-time signals queue */
	int rt = SIGRTMIN + 2;
	set_handler(rt, 1);
	set_handler(rt + 1, 1);
	sigprocmask(SIG_SETMASK, &b, &old);
	for (int i = 1; i <= 5; i++) {
		union sigval v = {.sival_int = i * 10};
		sigqueue(getpid(), rt + (i == 3), v);
	}
	sigpending(&pend);
	printf("rt pending %d %d\n", sigismember(&pend, rt), sigismember(&pend, rt + 1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("rt delivered %d:", norder);
	for (int i = 0; i < norder; i++)
		printf(" %s%d", order[i] == rt ? "rt+0:" : "rt+1:", values[i]);
	printf("\n");
	norder = 0;

	/* sigsuspend with a pending signal, then with one sent by another thread */
	sigemptyset(&b);
	sigaddset(&b, SIGUSR1);
	sigaddset(&b, SIGUSR2);
	sigprocmask(SIG_BLOCK, &b, NULL);
	raise(SIGUSR1);
	sigset_t wait_mask;
	sigfillset(&wait_mask);
	sigdelset(&wait_mask, SIGUSR1);
	int r = sigsuspend(&wait_mask);
	printf("sigsuspend = %d %s\n", r, errname(errno));
	print_order("sigsuspend delivered");
	main_thr = pthread_self();
	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	sigdelset(&wait_mask, SIGUSR2);
	r = sigsuspend(&wait_mask);
	printf("sigsuspend = %d %s\n", r, errname(errno));
	pthread_join(t, NULL);
	print_order("sigsuspend delivered");
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("mask after sigsuspend: usr1 %d usr2 %d term %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2),
	       sigismember(&cur, SIGTERM));
	/* SIGKILL and SIGSTOP cannot be blocked */
	sigfillset(&b);
	sigprocmask(SIG_SETMASK, &b, NULL);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("full mask holds KILL %d STOP %d USR1 %d\n", sigismember(&cur, SIGKILL), sigismember(&cur, SIGSTOP),
	       sigismember(&cur, SIGUSR1));
	T(sigprocmask(42, &b, NULL));
	return 0;
}
