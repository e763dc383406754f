/* SIGALRM from alarm() and setitimer() interrupts a blocking read on an empty pipe (EINTR); with
 * SA_RESTART the read is restarted and completes when a helper thread (which blocks SIGALRM, so the
 * main thread gets every alarm) writes after the handler has run a few times. The timers re-arm (the
 * handler re-arms alarm, setitimer is periodic) so a signal that lands before read() blocks cannot
 * make the test hang. getitimer, alarm's return value. */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t runs;
static int rearm_alarm;
static sem_t ran;
static void on_alarm(int s)
{
	runs++;
	if (rearm_alarm)
		alarm(1);
	sem_post(&ran);
}

static void handler(int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
}

static void periodic(long usec)
{
	struct itimerval it = {{0, usec}, {0, usec}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static int p[2];
static void *writer(void *arg)
{
	for (int i = 0; i < 3; i++)
		while (sem_wait(&ran) != 0) {}
	write(p[1], "x", 1);
	return NULL;
}

int main(void)
{
	char buf[8];
	ssize_t r;
	pipe(p);
	sem_init(&ran, 0, 0);

	/* alarm: EINTR */
	handler(0);
	rearm_alarm = 1;
	T(alarm(1));
	r = read(p[0], buf, sizeof buf);
	rearm_alarm = 0;
	printf("alarm, no SA_RESTART: read = %zd %s, handler ran: %s\n", r, r < 0 ? errname(errno) : "", runs ? "yes" : "no");
	alarm(0);
	printf("alarm(5) after alarm(0) returns %u\n", alarm(5));
	printf("alarm(0) returns %s\n", alarm(0) >= 4 ? "4 or 5" : "less");

	/* setitimer: EINTR */
	runs = 0;
	periodic(20000);
	r = read(p[0], buf, sizeof buf);
	struct itimerval cur, off = {{0, 0}, {0, 0}};
	getitimer(ITIMER_REAL, &cur);
	printf("getitimer interval %ld.%06ld, value set %d\n", (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec,
	       cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("setitimer, no SA_RESTART: read = %zd %s, handler ran: %s\n", r, r < 0 ? errname(errno) : "", runs ? "yes" : "no");
	getitimer(ITIMER_REAL, &cur);
	printf("after disarm: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);

	/* SA_RESTART: the read survives the alarms and returns the helper's byte */
	while (sem_trywait(&ran) == 0) {}
	runs = 0;
	handler(1);
	sigset_t b, old;
	sigemptyset(&b);
	sigaddset(&b, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &b, &old);
	pthread_t t;
	pthread_create(&t, NULL, writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	periodic(20000);
	r = read(p[0], buf, sizeof buf);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("setitimer, SA_RESTART: read = %zd %s, handler ran at least 3 times: %s\n", r,
	       r < 0 ? errname(errno) : (buf[0] == 'x' ? "got x" : "wrong byte"), runs >= 3 ? "yes" : "no");
	pthread_join(t, NULL);

	/* alarm with SA_RESTART and a nanosleep: sleeps report EINTR even with SA_RESTART */
	runs = 0;
	periodic(20000);
	struct timespec ts = {30, 0}, rem;
	int n = nanosleep(&ts, &rem);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("nanosleep with SA_RESTART: %d %s, remaining > 20s: %s\n", n, errname(errno), rem.tv_sec > 20 ? "yes" : "no");
	return 0;
}
