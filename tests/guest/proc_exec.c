/* execve of another static test program (argv[1]: the path of proc_exec_helper built the same way):
 * dup2'd descriptors are inherited with their offsets, O_CLOEXEC and FD_CLOEXEC ones are closed,
 * handled signals reset to default, ignored ones stay ignored, the mask and pending set survive;
 * execve errors (ENOENT, EACCES, ENOEXEC, ENOTDIR); finally the process itself execs the helper and
 * keeps its pid. */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static void h(int s) {}

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: proc_exec HELPER\n");
		return 2;
	}
	const char *helper = argv[1];
	int fd = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, "0123456789abcdef", 16);
	lseek(fd, 4, SEEK_SET);
	T(dup2(fd, 5));
	close(fd);
	T(open("data.txt", O_RDONLY | O_CLOEXEC));
	int f7 = open("data.txt", O_RDONLY);
	T(dup2(f7, 7));
	close(f7);
	T(fcntl(7, F_SETFD, FD_CLOEXEC));
	T(fcntl(5, F_DUPFD_CLOEXEC, 8));
	signal(SIGUSR1, h);
	signal(SIGUSR2, SIG_IGN);
	sigset_t b;
	sigemptyset(&b);
	sigaddset(&b, SIGHUP);
	sigprocmask(SIG_BLOCK, &b, NULL);
	raise(SIGHUP);
	char *env[] = {"HELPER_VAR=from-parent", "PATH=/bin", NULL};
	char *hargv[] = {"helper", "42", "two words", "", NULL};
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		execve(helper, hargv, env);
		printf("execve failed: %s\n", errname(errno));
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	printf("helper exited %d\n", WEXITSTATUS(st));
	printf("parent offset on the shared fd 5 after the helper read: %ld\n", (long)lseek(5, 0, SEEK_CUR));

	/* errors */
	char *a0[] = {"x", NULL};
	T(execve("./no-such-program", a0, env));
	int nf = open("not-exec.txt", O_WRONLY | O_CREAT, 0644);
	write(nf, "hello\n", 6);
	close(nf);
	T(execve("./not-exec.txt", a0, env));
	nf = open("garbage.bin", O_WRONLY | O_CREAT, 0755);
	write(nf, "\x7f" "ELF garbage that is not a real header at all, just bytes", 50);
	close(nf);
	T(execve("./garbage.bin", a0, env));
	T(execve("./not-exec.txt/sub", a0, env));
	mkdir("adir", 0755);
	T(execve("./adir", a0, env));
	nf = open("missing-interp.sh", O_WRONLY | O_CREAT, 0755);
	write(nf, "#!/no/such/interpreter\necho hi\n", 31);
	close(nf);
	T(execve("./missing-interp.sh", a0, env));

	/* the process replaces itself */
	char pidenv[64];
	snprintf(pidenv, sizeof pidenv, "EXPECT_PID=%d", (int)getpid());
	char *env2[] = {"HELPER_VAR=self-exec", pidenv, NULL};
	char *hargv2[] = {"helper", "9", NULL};
	lseek(5, 2, SEEK_SET);
	fflush(stdout);
	execve(helper, hargv2, env2);
	printf("self execve failed: %s\n", errname(errno));
	return 1;
}
