/* A child process that sleeps in the kernel (a read of a pipe nobody writes to) and ends there:
 * killed by SIGKILL, by SIGTERM's default action, or by _exit from another of its threads. Each
 * time its parent's wait reports how it ended, and a pipe whose only write end the child held
 * reads its end (the child's files were closed). An alarm ends the parent if anything hangs. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static int sleeper_fd, ready_fd;

/* Says it is about to sleep, then reads a pipe whose write end the parent keeps and never uses. */
static void *sleep_in_read(void *arg)
{
	(void)arg;
	char c = 'r';
	write(ready_fd, &c, 1);
	read(sleeper_fd, &c, 1);
	return NULL;
}

/* `how`: "kill" (SIGKILL), "term" (SIGTERM, default action), "exit" (_exit(7) from the main
 * thread while a second thread sleeps). */
static void one_case(const char *how)
{
	int quiet[2], held[2], st;
	pipe(quiet);
	pipe(held);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(quiet[1]);
		close(held[0]);
		sleeper_fd = quiet[0];
		ready_fd = held[1];
		if (strcmp(how, "exit") == 0) {
			pthread_t t;
			pthread_create(&t, NULL, sleep_in_read, NULL);
			/* Time for the thread to be asleep in its read. */
			usleep(200000);
			_exit(7);
		}
		sleep_in_read(NULL);
		_exit(1);
	}
	close(quiet[0]);
	close(held[1]);
	char c;
	int got = (int)read(held[0], &c, 1);
	/* Give the child time to be asleep in its read. */
	usleep(200000);
	if (strcmp(how, "kill") == 0)
		kill(p, SIGKILL);
	else if (strcmp(how, "term") == 0)
		kill(p, SIGTERM);
	pid_t w = waitpid(p, &st, 0);
	printf("%s: ready %d, waited %s, ", how, got, w == p ? "child" : "other");
	if (WIFSIGNALED(st))
		printf("killed by %s\n", WTERMSIG(st) == SIGKILL ? "SIGKILL" : WTERMSIG(st) == SIGTERM ? "SIGTERM" : "another signal");
	else
		printf("exit %d\n", WEXITSTATUS(st));
	int r = (int)read(held[0], &c, 1);
	printf("%s: the child's pipe reads %s\n", how, r == 0 ? "its end" : "something");
	close(held[0]);
	close(quiet[1]);
}

int main(void)
{
	alarm(60);
	one_case("kill");
	one_case("term");
	one_case("exit");
	return 0;
}
