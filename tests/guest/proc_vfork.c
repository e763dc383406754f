/* vfork and clone(CLONE_VM|CLONE_VFORK) with a stack of its own: the child runs in the parent's
 * memory and the parent waits until it exits or execs. The child's writes are the parent's; a
 * failed exec's errno comes back through memory (as glibc's posix_spawn reports it); the child has
 * its own pid and its own descriptor table; an exec releases the parent. */
#define _GNU_SOURCE
#include "common.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile int shared_word;
static volatile int exec_errno;
static pid_t parent;

static int status_of(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child_fn(void *arg)
{
	(void)arg;
	shared_word = (getpid() != parent && getppid() == parent) ? 42 : -1;
	char *argv[] = {"nothing", NULL};
	execve("/no/such/program", argv, NULL);
	exec_errno = errno;
	_exit(127);
}

static char stack[64 * 1024] __attribute__((aligned(16)));

int main(void)
{
	parent = getpid();
	int fds[2];
	pipe(fds);

	fflush(stdout);
	pid_t p = vfork();
	if (p == 0) {
		shared_word = 7;
		/* a descriptor closed here stays open in the parent */
		close(fds[0]);
		if (getpid() != parent && getppid() == parent)
			shared_word += 100;
		_exit(3);
	}
	printf("vfork: parent sees %d, status %d\n", shared_word, status_of(p));
	printf("parent's descriptor still open: %s\n", fcntl(fds[0], F_GETFD) >= 0 ? "yes" : "no");

	shared_word = 0;
	fflush(stdout);
	p = clone(child_fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	printf("clone VM|VFORK: child wrote %d, exec errno %s, status %d\n", shared_word, errname(exec_errno),
	       status_of(p));

	/* a successful exec releases the parent; the program runs on in a process of its own */
	fflush(stdout);
	p = vfork();
	if (p == 0) {
		char *argv[] = {"busybox", "sh", "-c", "echo exec from vfork; exit 4", NULL};
		execv("/bin/busybox", argv);
		_exit(127);
	}
	printf("vfork + exec: status %d\n", status_of(p));

	/* the parent's stack is intact after a vfork child that called functions */
	volatile int canary = 1234;
	fflush(stdout);
	p = vfork();
	if (p == 0) {
		char buf[256];
		snprintf(buf, sizeof buf, "%d", 5678);
		_exit(atoi(buf) == 5678 ? 0 : 1);
	}
	printf("after vfork: canary %d, status %d\n", canary, status_of(p));
	return 0;
}
