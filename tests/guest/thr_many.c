/* 200 threads alive at once: each checks in, waits on a barrier of 201 (so all exist together), gets
 * a distinct gettid, then exits; then 2000 short-lived threads one after another. */
#include "common.h"
#include <pthread.h>

#define NT 200
static pthread_barrier_t all;
static pid_t tids[NT];
static int alive, max_alive;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	long me = (long)arg;
	tids[me] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	alive++;
	if (alive > max_alive)
		max_alive = alive;
	pthread_mutex_unlock(&mu);
	pthread_barrier_wait(&all);
	pthread_mutex_lock(&mu);
	alive--;
	pthread_mutex_unlock(&mu);
	return (void *)(me * 2);
}

static void *quick(void *arg) { return (void *)((long)arg + 1); }

static int cmp(const void *a, const void *b) { return *(const pid_t *)a - *(const pid_t *)b; }

int main(void)
{
	pthread_t t[NT];
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_barrier_init(&all, NULL, NT + 1);
	int fails = 0;
	for (long i = 0; i < NT; i++)
		if (pthread_create(&t[i], &a, worker, (void *)i))
			fails++;
	pthread_barrier_wait(&all);
	long sum = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	pid_t me = (pid_t)syscall(SYS_gettid);
	qsort(tids, NT, sizeof tids[0], cmp);
	int distinct = 1, is_main = 0, is_pid = 0;
	for (int i = 0; i < NT; i++) {
		if (i && tids[i] == tids[i - 1])
			distinct = 0;
		if (tids[i] == me)
			is_main = 1;
		if (tids[i] == getpid())
			is_pid = 1;
	}
	printf("create failures %d, max alive %d, sum %ld, distinct tids %s, any equals main %d, any equals pid %d\n",
	       fails, max_alive, sum, distinct ? "yes" : "no", is_main, is_pid);
	printf("main gettid == getpid: %s\n", me == getpid() ? "yes" : "no");
	long s2 = 0;
	for (long i = 0; i < 2000; i++) {
		pthread_t q;
		void *r;
		if (pthread_create(&q, &a, quick, (void *)i)) {
			printf("quick create %ld failed\n", i);
			return 1;
		}
		pthread_join(q, &r);
		s2 += (long)r;
	}
	printf("2000 sequential threads, sum %ld\n", s2);
	return 0;
}
