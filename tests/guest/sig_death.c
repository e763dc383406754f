/* Default-action deaths: argv[1] picks the signal. Output written before the death must appear;
 * the exit status is 128+N as a shell reports it. */
#include "common.h"
#include <pthread.h>
#include <signal.h>

static volatile int zero, one = 1;
static void *thread_segv(void *arg)
{
	*(volatile int *)8 = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	printf("before %s\n", m);
	fflush(stdout);
	if (!strcmp(m, "segv"))
		*(volatile int *)0 = 1;
	else if (!strcmp(m, "segv-blocked")) {
		sigset_t s;
		sigfillset(&s);
		sigprocmask(SIG_BLOCK, &s, NULL);
		*(volatile int *)0 = 1;
	} else if (!strcmp(m, "segv-thread")) {
		pthread_t t;
		pthread_create(&t, NULL, thread_segv, NULL);
		pthread_join(t, NULL);
	} else if (!strcmp(m, "fpe"))
		printf("%d\n", one / zero);
	else if (!strcmp(m, "abort"))
		abort();
	else if (!strcmp(m, "term"))
		kill(getpid(), SIGTERM);
	else if (!strcmp(m, "term-raise"))
		raise(SIGTERM);
	else if (!strcmp(m, "usr1"))
		raise(SIGUSR1);
	else if (!strcmp(m, "kill-segv"))
		kill(getpid(), SIGSEGV);
	else if (!strcmp(m, "resethand")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGTERM, &sa, NULL);
		raise(SIGTERM);
		printf("ignored SIGTERM\n");
		fflush(stdout);
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	}
	for (;;)
		pause();
}
