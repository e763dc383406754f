/* pthread_cancel of a thread about to block, or just blocked, in a pipe read, a condvar wait and a
 * nanosleep, many times each with a varying delay: the cancel signal (sent once) must never be
 * lost, however close it comes to the start of the wait (a hang fails the test by its timeout). */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

static int pipefd[2];
static sem_t started;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void unlock(void *arg) { pthread_mutex_unlock(&mu); }

static void *blocker(void *arg)
{
	long kind = (long)arg;
	char c;
	struct timespec ts = {1000, 0};
	sem_post(&started);
	switch (kind) {
	case 0: for (;;) read(pipefd[0], &c, 1);
	case 1:
		pthread_mutex_lock(&mu);
		pthread_cleanup_push(unlock, NULL);
		for (;;) pthread_cond_wait(&cv, &mu);
		pthread_cleanup_pop(0);
		break;
	case 2: for (;;) nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(void)
{
	const char *names[] = {"read", "cond_wait", "nanosleep"};
	const int rounds[] = {1000, 300, 300};
	pipe(pipefd);
	sem_init(&started, 0, 0);
	for (long k = 0; k < 3; k++) {
		int canceled = 0;
		for (int i = 0; i < rounds[k]; i++) {
			pthread_t t;
			pthread_create(&t, NULL, blocker, (void *)k);
			while (sem_wait(&started) != 0) {}
			/* From cancelling before the thread reaches its wait to well after. */
			for (volatile int j = 0; j < (i * 37) % 3000; j++) {}
			pthread_cancel(t);
			void *r;
			pthread_join(t, &r);
			canceled += r == PTHREAD_CANCELED;
		}
		printf("%s: %d of %d canceled\n", names[k], canceled, rounds[k]);
	}
	printf("mutex free: %s\n", errname(pthread_mutex_trylock(&mu)));
	return 0;
}
