/* A thread exits while others block in futex waits: a robust mutex owner dies (the next locker gets
 * EOWNERDEAD), threads blocked on a condvar survive a sibling's exit, a raw futex waiter is woken by
 * CLONE_CHILD_CLEARTID when the thread it joins exits, and exit() from a side thread ends the whole
 * process while the main thread blocks. */
#include "common.h"
#define FUTEX_WAIT_PRIVATE 128 /* musl has no <linux/futex.h> */
#include <pthread.h>
#include <semaphore.h>

static pthread_mutex_t robust;
static sem_t locked;
static int results[4];
static int owner_dead_count, ok_count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *owner(void *arg)
{
	pthread_mutex_lock(&robust);
	sem_post(&locked);
	return NULL; /* dies holding it */
}

static void *locker(void *arg)
{
	int r = pthread_mutex_lock(&robust);
	if (r == EOWNERDEAD)
		pthread_mutex_consistent(&robust);
	pthread_mutex_lock(&mu);
	if (r == EOWNERDEAD)
		owner_dead_count++;
	else if (r == 0)
		ok_count++;
	pthread_mutex_unlock(&mu);
	pthread_mutex_unlock(&robust);
	return NULL;
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int release, waiting;
static void *cond_waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting++;
	while (!release)
		pthread_cond_wait(&cv, &mu);
	waiting--;
	pthread_mutex_unlock(&mu);
	return arg;
}
static void *exits_early(void *arg)
{
	pthread_exit((void *)9L);
}

static void *side_exit(void *arg)
{
	printf("side thread calls exit(23)\n");
	fflush(stdout);
	exit(23);
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	sem_init(&locked, 0, 0);
	pthread_t o, l[4];
	pthread_create(&o, NULL, owner, NULL);
	while (sem_wait(&locked) != 0) {}
	for (int i = 0; i < 4; i++)
		pthread_create(&l[i], NULL, locker, NULL);
	pthread_join(o, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(l[i], NULL);
	printf("robust: EOWNERDEAD %d times, plain success %d times\n", owner_dead_count, ok_count);

	pthread_t w[5], e;
	for (long i = 0; i < 5; i++)
		pthread_create(&w[i], NULL, cond_waiter, (void *)i);
	for (;;) {
		pthread_mutex_lock(&mu);
		int n = waiting;
		pthread_mutex_unlock(&mu);
		if (n == 5)
			break;
		sched_yield();
	}
	void *r;
	pthread_create(&e, NULL, exits_early, NULL);
	pthread_join(e, &r);
	printf("sibling exited with %ld while 5 wait on a condvar\n", (long)r);
	pthread_mutex_lock(&mu);
	release = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	long s = 0;
	for (int i = 0; i < 5; i++) {
		pthread_join(w[i], &r);
		s += (long)r;
	}
	printf("condvar waiters all returned, sum %ld\n", s);
	fflush(stdout);

	/* exit() in a side thread while main blocks in a futex wait that nobody wakes */
	pthread_t x;
	pthread_create(&x, NULL, side_exit, NULL);
	int word = 0;
	for (;;)
		syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}
