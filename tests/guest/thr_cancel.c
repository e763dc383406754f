/* pthread_cancel of threads blocked in pause(), sleep(), nanosleep, read on a pipe and a condvar
 * wait; cleanup handlers run; disabled cancellation is deferred until re-enabled; asynchronous
 * cancellation of a busy loop. */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

static sem_t started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cleanups[8];
static int pipefd[2];

static void cleanup(void *arg) { cleanups[(long)arg]++; }
static void cleanup_unlock(void *arg) { cleanups[(long)arg]++; pthread_mutex_unlock(&mu); }

static void *blocker(void *arg)
{
	long kind = (long)arg;
	pthread_cleanup_push(cleanup, arg);
	switch (kind) {
	case 0: sem_post(&started); for (;;) pause(); break;
	case 1: sem_post(&started); for (;;) sleep(1000); break;
	case 2: { struct timespec ts = {1000, 0}; sem_post(&started); for (;;) nanosleep(&ts, NULL); break; }
	case 3: { char c; sem_post(&started); for (;;) read(pipefd[0], &c, 1); break; }
	case 4:
		pthread_mutex_lock(&mu);
		pthread_cleanup_push(cleanup_unlock, (void *)5L);
		sem_post(&started);
		for (;;) pthread_cond_wait(&cv, &mu);
		pthread_cleanup_pop(0);
		break;
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static volatile int spin_forever = 1;
static void *busy(void *arg)
{
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	sem_post(&started);
	while (spin_forever) {}
	return NULL;
}

static sem_t may_enable;
static void *deferred(void *arg)
{
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	sem_post(&started);
	while (sem_wait(&may_enable) != 0) {}
	/* cancelled while disabled: survives sleep with cancellation off */
	struct timespec ts = {0, 1000000};
	nanosleep(&ts, NULL);
	printf("deferred thread still alive after cancel while disabled\n");
	fflush(stdout);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	pthread_testcancel();
	printf("NOT REACHED\n");
	return NULL;
}

int main(void)
{
	pipe(pipefd);
	sem_init(&started, 0, 0);
	const char *names[] = {"pause", "sleep", "nanosleep", "read", "cond_wait"};
	for (long k = 0; k < 5; k++) {
		pthread_t t;
		pthread_create(&t, NULL, blocker, (void *)k);
		while (sem_wait(&started) != 0) {}
		int e = pthread_cancel(t);
		void *r;
		int j = pthread_join(t, &r);
		printf("%s: cancel=%s join=%s canceled=%s cleanup=%d\n", names[k], errname(e), errname(j),
		       r == PTHREAD_CANCELED ? "yes" : "no", cleanups[k]);
	}
	printf("cond_wait cleanup unlock ran %d, mutex free again: %s\n", cleanups[5],
	       errname(pthread_mutex_trylock(&mu)));
	pthread_mutex_unlock(&mu);

	pthread_t t;
	pthread_create(&t, NULL, busy, NULL);
	while (sem_wait(&started) != 0) {}
	pthread_cancel(t);
	void *r;
	pthread_join(t, &r);
	printf("async busy loop canceled=%s\n", r == PTHREAD_CANCELED ? "yes" : "no");

	sem_init(&may_enable, 0, 0);
	pthread_create(&t, NULL, deferred, NULL);
	while (sem_wait(&started) != 0) {}
	pthread_cancel(t);
	sem_post(&may_enable);
	pthread_join(t, &r);
	printf("deferred canceled=%s\n", r == PTHREAD_CANCELED ? "yes" : "no");
	return 0;
}
