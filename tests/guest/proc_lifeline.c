/* For the test that kills rumplx outright (tests/tests/processes.rs, killed_run_leaves_no_process):
 * a child and a grandchild that wait in pause() forever, which never asks the kernel anything,
 * so only the run's lifeline can end them when the first process is killed. Prints "started"
 * once both exist. Not compared with a native run. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

int main(void)
{
	int ready[2];
	if (pipe(ready) != 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		if (fork() == 0) {
			write(ready[1], "g", 1);
			for (;;)
				pause();
		}
		for (;;)
			pause();
	}
	char b;
	read(ready[0], &b, 1);
	printf("started\n");
	fflush(stdout);
	for (;;)
		pause();
}
