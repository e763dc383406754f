/* rwlocks: 4 readers hold the lock together (a barrier inside the read section proves it), writers
 * exclude everyone; 6 threads x 20k write-locked increments; try-lock answers. */
#include "common.h"
#include <pthread.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t inside;
static long value;

static void *reader(void *arg)
{
	pthread_rwlock_rdlock(&rw);
	/* every reader must be inside at once, or this barrier never opens */
	pthread_barrier_wait(&inside);
	long v = value;
	pthread_rwlock_unlock(&rw);
	return (void *)v;
}

static void *writer(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		pthread_rwlock_wrlock(&rw);
		long v = value;
		value = v + 1;
		pthread_rwlock_unlock(&rw);
		if (i % 4 == 0) {
			pthread_rwlock_rdlock(&rw);
			pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}

int main(void)
{
	pthread_t t[6];
	value = 7;
	pthread_barrier_init(&inside, NULL, 4);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	long s = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		s += (long)r;
	}
	printf("4 concurrent readers saw sum %ld\n", s);
	value = 0;
	for (int i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, writer, NULL);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	printf("value after writers = %ld\n", value);
	pthread_rwlock_rdlock(&rw);
	printf("tryrdlock while read-held = %s\n", errname(pthread_rwlock_tryrdlock(&rw)));
	pthread_rwlock_unlock(&rw);
	printf("trywrlock while read-held = %s\n", pthread_rwlock_trywrlock(&rw) == EBUSY ? "EBUSY" : "other");
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	printf("tryrdlock while write-held = %s\n", pthread_rwlock_tryrdlock(&rw) == EBUSY ? "EBUSY" : "other");
	pthread_rwlock_unlock(&rw);
	printf("trywrlock free = %s\n", errname(pthread_rwlock_trywrlock(&rw)));
	pthread_rwlock_unlock(&rw);
	return 0;
}
