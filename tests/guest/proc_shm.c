/* MAP_SHARED anonymous memory written by a child and read by the parent; MAP_PRIVATE stays private;
 * a shared file mapping; process-shared semaphores in shared memory used for a 2000-round ping-pong
 * between parent and child (futexes on a shared page across processes); a process-shared mutex
 * protecting a counter incremented by 4 children. */
#include "common.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/wait.h>

struct shared {
	sem_t ping, pong;
	pthread_mutex_t mu;
	long counter;
	long rounds_child, rounds_parent;
	char text[64];
	int numbers[1000];
};

int main(void)
{
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED || priv == MAP_FAILED) {
		printf("mmap failed\n");
		return 1;
	}
	priv[0] = 1;
	int st;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		strcpy(s->text, "written by the child");
		for (int i = 0; i < 1000; i++)
			s->numbers[i] = i * i;
		priv[0] = 2;
		_exit(0);
	}
	waitpid(p, &st, 0);
	long sum = 0;
	for (int i = 0; i < 1000; i++)
		sum += s->numbers[i];
	printf("shared: [%s] sum %ld; private stays %d\n", s->text, sum, priv[0]);

	/* a shared file mapping */
	int fd = open("mapped.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	ftruncate(fd, 4096);
	char *fm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		memcpy(fm, "child wrote the file mapping\n", 29);
		_exit(0);
	}
	waitpid(p, &st, 0);
	printf("file mapping: %.28s\n", fm);
	msync(fm, 4096, MS_SYNC);
	ftruncate(fd, 29);
	close(fd);

	/* ping-pong with process-shared semaphores */
	sem_init(&s->ping, 1, 0);
	sem_init(&s->pong, 1, 0);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		for (int i = 0; i < 2000; i++) {
			while (sem_wait(&s->ping) != 0) {}
			s->rounds_child++;
			sem_post(&s->pong);
		}
		_exit(0);
	}
	for (int i = 0; i < 2000; i++) {
		sem_post(&s->ping);
		while (sem_wait(&s->pong) != 0) {}
		s->rounds_parent++;
	}
	waitpid(p, &st, 0);
	printf("ping-pong: child %ld parent %ld\n", s->rounds_child, s->rounds_parent);

	/* a process-shared mutex and 4 children */
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->mu, &a);
	for (int c = 0; c < 4; c++) {
		fflush(stdout);
		if (fork() == 0) {
			for (int i = 0; i < 20000; i++) {
				pthread_mutex_lock(&s->mu);
				s->counter++;
				pthread_mutex_unlock(&s->mu);
			}
			_exit(0);
		}
	}
	while (wait(&st) > 0) {}
	printf("pshared mutex counter %ld\n", s->counter);
	return 0;
}
