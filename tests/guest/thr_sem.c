/* Semaphores: producer/consumer over a ring of 16 with 2 producers and 2 consumers (50k items);
 * sem_trywait/sem_timedwait answers; sem_getvalue. */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

#define ITEMS 50000
#define RING 16
static sem_t empty, full;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long ring[RING];
static int head, tail;
static long consumed_sum, consumed_n;

static void *producer(void *arg)
{
	long base = (long)arg;
	for (long i = 0; i < ITEMS / 2; i++) {
		while (sem_wait(&empty) != 0) {}
		pthread_mutex_lock(&mu);
		ring[head] = base + i;
		head = (head + 1) % RING;
		pthread_mutex_unlock(&mu);
		sem_post(&full);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	for (long i = 0; i < ITEMS / 2; i++) {
		while (sem_wait(&full) != 0) {}
		pthread_mutex_lock(&mu);
		consumed_sum += ring[tail];
		consumed_n++;
		tail = (tail + 1) % RING;
		pthread_mutex_unlock(&mu);
		sem_post(&empty);
	}
	return NULL;
}

int main(void)
{
	sem_init(&empty, 0, RING);
	sem_init(&full, 0, 0);
	pthread_t t[4];
	pthread_create(&t[0], NULL, producer, (void *)0L);
	pthread_create(&t[1], NULL, producer, (void *)1000000L);
	pthread_create(&t[2], NULL, consumer, NULL);
	pthread_create(&t[3], NULL, consumer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	int v1, v2;
	sem_getvalue(&empty, &v1);
	sem_getvalue(&full, &v2);
	printf("consumed %ld items, sum %ld, empty=%d full=%d\n", consumed_n, consumed_sum, v1, v2);
	T(sem_trywait(&full));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
	int r = sem_timedwait(&full, &ts);
	printf("sem_timedwait = %d %s\n", r, r ? (errno == ETIMEDOUT ? "ETIMEDOUT" : errname(errno)) : "");
	sem_post(&full);
	T(sem_trywait(&full));
	T(sem_destroy(&full));
	return 0;
}
