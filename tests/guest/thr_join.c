/* pthread_join return values (return, pthread_exit, from nested calls), detached threads (created
 * detached and detached later) finishing before main exits, join errors. */
#include "common.h"
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#include <pthread.h>
#include <semaphore.h>

static void *ret_value(void *arg) { return (void *)((long)arg * 3 + 1); }
static void deep(long n) { if (n == 0) pthread_exit((void *)77L); deep(n - 1); }
static void *exits_deep(void *arg) { deep(50); return NULL; }
static sem_t done;
static long detached_sum;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static void *detached(void *arg)
{
	pthread_mutex_lock(&mu);
	detached_sum += (long)arg;
	pthread_mutex_unlock(&mu);
	sem_post(&done);
	return NULL;
}
static void *self_detach(void *arg)
{
	pthread_detach(pthread_self());
	return detached(arg);
}
static sem_t main_leaving;
static void *outlives_main(void *arg)
{
	while (sem_wait(&main_leaving) != 0) {}
	printf("last thread still running after main's pthread_exit\n");
	fflush(stdout);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[20];
	for (long i = 0; i < 20; i++)
		pthread_create(&t[i], NULL, ret_value, (void *)i);
	for (int i = 19; i >= 0; i--) {
		void *r;
		int e = pthread_join(t[i], &r);
		printf("join %d = %s, value %ld\n", i, errname(e), (long)r);
	}
	pthread_create(&t[0], NULL, exits_deep, NULL);
	void *r;
	pthread_join(t[0], &r);
	printf("pthread_exit from depth 50: %ld\n", (long)r);

	sem_init(&done, 0, 0);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	for (long i = 1; i <= 10; i++) {
		pthread_t d;
		printf("create detached %ld = %s\n", i, errname(pthread_create(&d, &a, detached, (void *)i)));
	}
	for (long i = 100; i < 105; i++) {
		pthread_t d;
		pthread_create(&d, NULL, self_detach, (void *)i);
	}
	pthread_t d2;
	pthread_create(&d2, NULL, detached, (void *)1000L);
	printf("pthread_detach later = %s\n", errname(pthread_detach(d2)));
	for (int i = 0; i < 16; i++)
		while (sem_wait(&done) != 0) {}
	printf("detached sum = %ld\n", detached_sum);
	fflush(stdout);
	/* the main thread leaves with pthread_exit; the process lives on until the last thread returns */
	sem_init(&main_leaving, 0, 0);
	pthread_t last;
	pthread_create(&last, NULL, outlives_main, NULL);
	sem_post(&main_leaving);
	pthread_exit((void *)5L);
}
