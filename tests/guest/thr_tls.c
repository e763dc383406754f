/* Thread-local storage per thread: __thread initialised and zeroed variables, a big TLS array,
 * pthread keys with destructors. */
#include "common.h"
#include <pthread.h>

static __thread long tl_init = 1234;
static __thread long tl_zero;
static __thread char tl_big[8192] = "tls-big";
static pthread_key_t key;
static int destructor_runs;
static long destructor_sum;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void destr(void *p)
{
	pthread_mutex_lock(&mu);
	destructor_runs++;
	destructor_sum += (long)p;
	pthread_mutex_unlock(&mu);
}

static void *worker(void *arg)
{
	long me = (long)arg;
	long ok = tl_init == 1234 && tl_zero == 0 && strcmp(tl_big, "tls-big") == 0 && tl_big[8191] == 0;
	tl_init = me * 100;
	tl_zero = me;
	snprintf(tl_big, sizeof tl_big, "thread-%ld", me);
	pthread_setspecific(key, (void *)(me + 1));
	for (int i = 0; i < 10000; i++)
		tl_zero += 1;
	char buf[64];
	snprintf(buf, sizeof buf, "thread-%ld", me);
	ok = ok && tl_init == me * 100 && tl_zero == me + 10000 && strcmp(tl_big, buf) == 0 &&
	     (long)pthread_getspecific(key) == me + 1;
	/* errno is thread-local too */
	errno = (int)me + 1;
	for (volatile int i = 0; i < 1000; i++) {}
	ok = ok && errno == (int)me + 1;
	return (void *)ok;
}

int main(void)
{
	pthread_key_create(&key, destr);
	pthread_t t[10];
	for (long i = 0; i < 10; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 10; i++) {
		void *r;
		pthread_join(t[i], &r);
		printf("thread %d: tls %s\n", i, r ? "ok" : "WRONG");
	}
	printf("main: tl_init=%ld tl_zero=%ld tl_big=%s specific=%p\n", tl_init, tl_zero, tl_big,
	       pthread_getspecific(key));
	printf("destructors ran %d times, sum %ld\n", destructor_runs, destructor_sum);
	return 0;
}
