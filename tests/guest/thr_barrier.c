/* Barriers: 5 threads x 1000 phases; in each phase every thread adds to its slot, and after the
 * barrier each checks the whole row. Exactly one serial thread per phase. */
#include "common.h"
#include <pthread.h>

#define NT 5
#define PHASES 1000
static pthread_barrier_t b;
static int slot[NT];
static int serial_count, bad;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	long me = (long)arg;
	for (int p = 1; p <= PHASES; p++) {
		slot[me] = p;
		int r = pthread_barrier_wait(&b);
		for (int i = 0; i < NT; i++)
			if (slot[i] != p) {
				pthread_mutex_lock(&mu);
				bad++;
				pthread_mutex_unlock(&mu);
			}
		if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
			pthread_mutex_lock(&mu);
			serial_count++;
			pthread_mutex_unlock(&mu);
		} else if (r != 0) {
			bad++;
		}
		pthread_barrier_wait(&b);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NT];
	pthread_barrier_init(&b, NULL, NT);
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	printf("phases %d, serial threads %d, mismatches %d\n", PHASES, serial_count, bad);
	printf("destroy = %s\n", errname(pthread_barrier_destroy(&b)));
	printf("init count 0 = %s\n", pthread_barrier_init(&b, NULL, 0) == EINVAL ? "EINVAL" : "other");
	return 0;
}
