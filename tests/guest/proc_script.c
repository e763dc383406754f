/* execve of `#!` scripts whose interpreter is /bin/busybox: with and without an interpreter argument,
 * from a forked child and with the arguments the kernel builds ($0 is the script path); the script
 * reads a descriptor it inherited. Errors: no execute permission (EACCES), a missing interpreter
 * (ENOENT). */
#include "common.h"
#include <sys/wait.h>

static void put(const char *name, const char *body, int mode)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
	write(fd, body, strlen(body));
	close(fd);
	chmod(name, mode);
}

static void run(char *path, char **argv, char **env)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execve(path, argv, env);
		printf("execve %s: %s\n", path, errname(errno));
		fflush(stdout);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	printf("%s: status %d\n", path, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int main(void)
{
	put("s1.sh", "#!/bin/busybox sh\necho \"s1 0=$0 1=$1 2=$2 #=$#\"\nread -r line <&6; echo \"fd6: $line\"\n"
		     "echo \"VAR=$VAR\"\nexit 12\n", 0755);
	put("s2.sh", "#!/bin/busybox echo\nnot run\n", 0755);
	put("s3.sh", "#!/bin/busybox sh\necho unreachable\n", 0644);
	put("s4.sh", "#! /bin/busybox   sh  \nfor i in 1 2 3; do echo loop $i; done\n", 0755);
	put("in.txt", "inherited line\nsecond\n", 0644);
	int fd = open("in.txt", O_RDONLY);
	dup2(fd, 6);
	close(fd);
	char *env[] = {"VAR=value", "PATH=/bin", NULL};
	char *a1[] = {"s1.sh", "first", "second arg", NULL};
	run("./s1.sh", a1, env);
	char *a2[] = {"ignored-argv0", "x", "y", NULL};
	run("./s2.sh", a2, env);
	char *a3[] = {"s3.sh", NULL};
	run("./s3.sh", a3, env);
	run("./s4.sh", a3, env);
	char *abs_dir = getcwd(NULL, 0);
	char path[4096];
	snprintf(path, sizeof path, "%s/s4.sh", abs_dir);
	int ok = 0;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execve(path, a3, env);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	printf("absolute script path: %s\n", ok ? "ok" : "failed");
	T(execve("./s3.sh", a3, env));
	return 0;
}
