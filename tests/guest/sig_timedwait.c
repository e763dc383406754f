/* sigwaitinfo/sigtimedwait/sigwait: a pending signal is taken without its handler running; a zero
 * and a short timeout give EAGAIN; a signal sent by another thread ends an untimed wait; sigqueue
 * values pass through; signals outside the set stay pending. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <time.h>

static volatile int handler_runs;
static void h(int s) { handler_runs++; }
static void *sender(void *arg)
{
	/* process-directed: the main thread is the one waiting for it */
	union sigval v = {.sival_int = 31337};
	sigqueue(getpid(), SIGUSR2, v);
	return NULL;
}

int main(void)
{
	signal(SIGUSR1, h);
	signal(SIGUSR2, h);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	siginfo_t si;
	struct timespec zero = {0, 0}, shortt = {0, 30000000}, longt = {30, 0};

	raise(SIGUSR1);
	int r = sigtimedwait(&set, &si, &longt);
	printf("pending USR1: sigtimedwait = %d signo %d code_tkill %d pid_ok %d handler %d\n", r, si.si_signo,
	       si.si_code == SI_TKILL, si.si_pid == getpid(), handler_runs);
	r = sigtimedwait(&set, &si, &zero);
	printf("nothing pending, zero timeout: %d %s\n", r, errname(errno));
	r = sigtimedwait(&set, &si, &shortt);
	printf("nothing pending, 30ms timeout: %d %s\n", r, errname(errno));

	pthread_t t;
	pthread_create(&t, NULL, sender, NULL);
	memset(&si, 0, sizeof si);
	r = sigwaitinfo(&set, &si);
	printf("from thread: sigwaitinfo = %d code_queue %d value %d pid_ok %d\n", r, si.si_code == SI_QUEUE,
	       si.si_value.sival_int, si.si_pid == getpid());
	pthread_join(t, NULL);

	kill(getpid(), SIGUSR2);
	int sig = 0;
	r = sigwait(&set, &sig);
	printf("sigwait = %d sig %d\n", r, sig);

	sigset_t only1;
	sigemptyset(&only1);
	sigaddset(&only1, SIGUSR1);
	raise(SIGUSR2);
	r = sigtimedwait(&only1, &si, &zero);
	sigset_t pend;
	sigpending(&pend);
	printf("USR2 pending, waiting for USR1 only: %d %s, USR2 still pending %d\n", r, errname(errno),
	       sigismember(&pend, SIGUSR2));
	r = sigtimedwait(&set, &si, NULL);
	printf("then untimed wait takes it: %d\n", r);
	struct timespec bad = {0, 2000000000};
	r = sigtimedwait(&set, &si, &bad);
	printf("bad timeout: %d %s\n", r, errname(errno));
	printf("handler never ran: %d\n", handler_runs);
	return 0;
}
