/* Condition-variable ping-pong: 100k rounds between two threads, then a broadcast to 6 waiters and a
 * timed wait that times out. */
#include "common.h"
#include <pthread.h>
#include <time.h>

#define ROUNDS 100000
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: ping's turn, 1: pong's */
static long pings, pongs;

static void *pong(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 1)
			pthread_cond_wait(&cv, &mu);
		pongs++;
		turn = 0;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return arg;
}

static int go, waiting, woken;
static pthread_cond_t bc = PTHREAD_COND_INITIALIZER, ready = PTHREAD_COND_INITIALIZER;
static void *waiter(void *arg)
{
	pthread_mutex_lock(&mu);
	waiting++;
	pthread_cond_signal(&ready);
	while (!go)
		pthread_cond_wait(&bc, &mu);
	woken++;
	pthread_mutex_unlock(&mu);
	return arg;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, pong, NULL);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 0)
			pthread_cond_wait(&cv, &mu);
		pings++;
		turn = 1;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	pthread_join(t, NULL);
	printf("pings = %ld pongs = %ld turn = %d\n", pings, pongs, turn);

	pthread_t w[6];
	for (int i = 0; i < 6; i++)
		pthread_create(&w[i], NULL, waiter, NULL);
	pthread_mutex_lock(&mu);
	while (waiting < 6)
		pthread_cond_wait(&ready, &mu);
	go = 1;
	pthread_cond_broadcast(&bc);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < 6; i++)
		pthread_join(w[i], NULL);
	printf("broadcast woke %d of %d\n", woken, waiting);

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
	pthread_mutex_lock(&mu);
	int r = pthread_cond_timedwait(&bc, &mu, &ts);
	pthread_mutex_unlock(&mu);
	printf("timedwait realtime = %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : errname(r));

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_t mc;
	pthread_cond_init(&mc, &ca);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
	pthread_mutex_lock(&mu);
	r = pthread_cond_timedwait(&mc, &mu, &ts);
	pthread_mutex_unlock(&mu);
	printf("timedwait monotonic = %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : errname(r));
	return 0;
}
