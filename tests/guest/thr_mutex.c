/* 8 threads x 100k mutex-protected increments; a spinlock and atomics the same way. */
#include "common.h"
#include <pthread.h>

#define NT 8
#define N 100000
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static long counter, spin_counter, atomic_counter;
static pthread_mutex_t rec;

static void *worker(void *arg)
{
	for (int i = 0; i < N; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		pthread_spin_lock(&spin);
		spin_counter++;
		pthread_spin_unlock(&spin);
		__atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
	}
	return arg;
}

int main(void)
{
	pthread_t t[NT];
	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	for (long i = 0; i < NT; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i)) { printf("create failed\n"); return 1; }
	long sum = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	printf("mutex counter = %ld\nspin counter = %ld\natomic counter = %ld\nsum of returns = %ld\n", counter,
	       spin_counter, atomic_counter, sum);
	/* trylock, recursive and error-checking kinds */
	pthread_mutex_lock(&mu);
	printf("trylock held = %s\n", errname(pthread_mutex_trylock(&mu)));
	pthread_mutex_unlock(&mu);
	printf("trylock free = %s\n", errname(pthread_mutex_trylock(&mu)));
	pthread_mutex_unlock(&mu);
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rec, &a);
	printf("recursive: %s %s %s %s\n", errname(pthread_mutex_lock(&rec)), errname(pthread_mutex_lock(&rec)),
	       errname(pthread_mutex_unlock(&rec)), errname(pthread_mutex_unlock(&rec)));
	pthread_mutex_t ec;
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ec, &a);
	printf("errorcheck: %s %s %s %s\n", errname(pthread_mutex_lock(&ec)), errname(pthread_mutex_lock(&ec)),
	       errname(pthread_mutex_unlock(&ec)), errname(pthread_mutex_unlock(&ec)));
	return 0;
}
