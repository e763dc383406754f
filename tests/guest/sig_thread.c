/* Signals aimed at one thread: pthread_kill and tgkill reach exactly the named thread (its
 * thread-local index is recorded by the handler); a process-directed kill() goes to the only thread
 * that does not block it; per-thread masks are separate. */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>

#define NT 4
static __thread int my_index = -1;
static int got_usr1[NT + 1], got_usr2[NT + 1], got_term[NT + 1];
static pid_t tids[NT];
static sem_t ready, handled, go;

static void h(int s)
{
	int i = my_index < 0 ? NT : my_index;
	if (s == SIGUSR1)
		got_usr1[i]++;
	else if (s == SIGUSR2)
		got_usr2[i]++;
	else
		got_term[i]++;
	sem_post(&handled);
}

static void *worker(void *arg)
{
	my_index = (int)(long)arg;
	tids[my_index] = (pid_t)syscall(SYS_gettid);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	/* only thread 0 accepts SIGTERM */
	pthread_sigmask(my_index == 0 ? SIG_UNBLOCK : SIG_BLOCK, &s, NULL);
	sem_post(&ready);
	while (sem_wait(&go) != 0) {}
	sigset_t cur;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	return (void *)(long)sigismember(&cur, SIGTERM);
}

int main(void)
{
	signal(SIGUSR1, h);
	signal(SIGUSR2, h);
	signal(SIGTERM, h);
	sem_init(&ready, 0, 0);
	sem_init(&handled, 0, 0);
	sem_init(&go, 0, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NT; i++)
		while (sem_wait(&ready) != 0) {}
	T(pthread_kill(t[2], SIGUSR1));
	while (sem_wait(&handled) != 0) {}
	T(syscall(SYS_tgkill, getpid(), tids[1], SIGUSR2));
	while (sem_wait(&handled) != 0) {}
	T(syscall(SYS_tkill, tids[3], SIGUSR1));
	while (sem_wait(&handled) != 0) {}
	T(kill(getpid(), SIGTERM));
	while (sem_wait(&handled) != 0) {}
	T(pthread_kill(pthread_self(), SIGUSR2));
	T(pthread_kill(t[0], 0));
	T(syscall(SYS_tgkill, getpid(), 999999, SIGUSR1));
	for (int i = 0; i < NT; i++)
		sem_post(&go);
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		printf("thread %d: usr1 %d usr2 %d term %d, blocks TERM %ld\n", i, got_usr1[i], got_usr2[i], got_term[i], (long)r);
	}
	printf("main: usr1 %d usr2 %d term %d\n", got_usr1[NT], got_usr2[NT], got_term[NT]);
	return 0;
}
