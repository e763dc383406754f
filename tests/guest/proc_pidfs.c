/* /proc/<pid> of other processes: the parent reads a blocked child's stat, status, comm, cmdline,
 * exe, cwd and fd/ (each checked against what the parent knows: its pid, the child's group, argv,
 * the pipe it left the child), the child reads its parent's comm; a child renamed with
 * PR_SET_NAME and one that exec'd this program again show their new name and argv; a reaped
 * child's directory is gone. Only relations are printed, never pids. */
#include "common.h"
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static char name15[16]; /* what comm must be: the program's file name, at most 15 bytes */
static char exe[4096];  /* this program, as /proc/self/exe names it */

static int slurp(const char *path, char *buf, int max)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -1;
	int n = 0, r;
	while (n < max - 1 && (r = read(fd, buf + n, max - 1 - n)) > 0) n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

static const char *yes(int c) { return c ? "yes" : "no"; }

/* The child's side: tell the parent (over `ready`, then close it) what it saw of its parent,
 * then wait on `block` until the parent closes its end. */
static void blocker(int ready, int block)
{
	char path[64], comm[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)getppid());
	int n = slurp(path, comm, sizeof comm);
	char want[20];
	snprintf(want, sizeof want, "%s\n", name15);
	char r = n > 0 && !strcmp(comm, want) ? 'y' : 'n';
	write(ready, &r, 1);
	close(ready);
	char b;
	read(block, &b, 1);
	_exit(0);
}

/* Starts a child that ends up in blocker() (by `how`: 0 directly, 1 after PR_SET_NAME, 2 after
 * exec'ing this program with "--blocker"); answers its pid, its pipe fd and the end to close. */
static pid_t start(int how, int *child_fd, int *release)
{
	int ready[2], block[2];
	pipe(ready);
	pipe(block);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		close(block[1]);
		if (how == 1) prctl(PR_SET_NAME, "pidfs-renamed");
		if (how == 2) {
			char a[16], b[16];
			snprintf(a, sizeof a, "%d", ready[1]);
			snprintf(b, sizeof b, "%d", block[0]);
			char *argv[] = {exe, "--blocker", a, b, NULL};
			execv(exe, argv);
			_exit(127);
		}
		blocker(ready[1], block[0]);
	}
	close(ready[1]);
	close(block[0]);
	char r = '?', more;
	read(ready[0], &r, 1);
	/* EOF: the child has closed its end, so its descriptors are settled */
	while (read(ready[0], &more, 1) > 0) {}
	close(ready[0]);
	printf("child sees its parent's comm: %s\n", yes(r == 'y'));
	*child_fd = block[0];
	*release = block[1];
	return c;
}

static void check_stat(pid_t c, const char *want_comm)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
	if (slurp(path, buf, sizeof buf) <= 0) { printf("stat: %s\n", errname(errno)); return; }
	char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
	if (!open_p || !close_p) { printf("stat: malformed\n"); return; }
	*close_p = 0;
	int pid = atoi(buf);
	char state;
	int ppid, pgrp, sid, fields = 0;
	sscanf(close_p + 2, " %c %d %d %d", &state, &ppid, &pgrp, &sid);
	for (char *t = strtok(close_p + 2, " \n"); t; t = strtok(NULL, " \n")) fields++;
	printf("stat pid field is the child: %s\n", yes(pid == c));
	printf("stat comm is %s: %s\n", want_comm, yes(!strcmp(open_p + 1, want_comm)));
	printf("stat state S or R: %s\n", yes(state == 'S' || state == 'R'));
	printf("stat ppid is the parent: %s\n", yes(ppid == getpid()));
	printf("stat pgrp is getpgid(child): %s\n", yes(pgrp == getpgid(c)));
	printf("stat session is getsid(child): %s\n", yes(sid == getsid(c)));
	printf("stat fields after comm >= 50: %s\n", yes(fields >= 50));
}

static void check_status(pid_t c, const char *want_comm)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)c);
	if (slurp(path, buf, sizeof buf) <= 0) { printf("status: %s\n", errname(errno)); return; }
	char *name = strstr(buf, "Name:\t"), *ppid = strstr(buf, "\nPPid:\t"), *pid = strstr(buf, "\nPid:\t");
	char *uid = strstr(buf, "\nUid:\t"), *state = strstr(buf, "\nState:\t");
	char n[32] = "";
	if (name) sscanf(name + 6, "%31[^\n]", n);
	printf("status Name is %s: %s\n", want_comm, yes(!strcmp(n, want_comm)));
	printf("status Pid is the child: %s\n", yes(pid && atoi(pid + 6) == c));
	printf("status PPid is the parent: %s\n", yes(ppid && atoi(ppid + 7) == getpid()));
	printf("status Uid is ours: %s\n", yes(uid && atoi(uid + 6) == (int)getuid()));
	printf("status State S or R: %s\n", yes(state && (state[8] == 'S' || state[8] == 'R')));
}

static void check_cmdline(pid_t c, char **want, int wantc)
{
	char path[64], buf[8192], expect[8192];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
	int n = slurp(path, buf, sizeof buf);
	int m = 0;
	for (int i = 0; i < wantc; i++) {
		strcpy(expect + m, want[i]);
		m += strlen(want[i]) + 1;
	}
	printf("cmdline equals argv: %s\n", yes(n == m && !memcmp(buf, expect, m)));
}

static void check_links(pid_t c, int pipe_fd)
{
	char path[64], buf[4096], cwd[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)c);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n >= 0) buf[n] = 0;
	size_t l = strlen(name15);
	const char *base = n > 0 ? strrchr(buf, '/') : NULL;
	printf("exe ends with the program's name: %s\n", yes(base && !strncmp(base + 1, name15, l)));
	printf("exe is ours: %s\n", yes(n > 0 && !strcmp(buf, exe)));
	snprintf(path, sizeof path, "/proc/%d/cwd", (int)c);
	n = readlink(path, buf, sizeof buf - 1);
	if (n >= 0) buf[n] = 0;
	printf("cwd is ours: %s\n", yes(n > 0 && getcwd(cwd, sizeof cwd) && !strcmp(buf, cwd)));

	snprintf(path, sizeof path, "/proc/%d/fd", (int)c);
	DIR *d = opendir(path);
	int has[3] = {0}, hasp = 0, others = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.') continue;
		int fd = atoi(e->d_name);
		if (fd >= 0 && fd < 3) has[fd] = 1;
		else if (fd == pipe_fd) hasp = 1;
		else others++;
	}
	if (d) closedir(d);
	printf("fd dir: %s, 0 %d 1 %d 2 %d pipe %d others %d\n", d ? "opened" : errname(errno), has[0], has[1], has[2], hasp, others);
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)c, pipe_fd);
	n = readlink(path, buf, sizeof buf - 1);
	if (n >= 0) buf[n] = 0;
	printf("fd link starts with pipe: %s\n", n > 0 ? yes(!strncmp(buf, "pipe:", 5)) : errname(errno));
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)c, 99);
	printf("closed fd link: %s\n", readlink(path, buf, sizeof buf) < 0 ? errname(errno) : "exists");

	struct stat st;
	snprintf(path, sizeof path, "/proc/%d", (int)c);
	printf("dir is a directory owned by us: %s\n", yes(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid()));
}

/* Whether `ls /proc` shows `p`. */
static int listed(pid_t p)
{
	DIR *d = opendir("/proc");
	int found = 0;
	struct dirent *e;
	char want[16];
	snprintf(want, sizeof want, "%d", (int)p);
	while (d && (e = readdir(d))) found |= !strcmp(e->d_name, want);
	if (d) closedir(d);
	return found;
}

static void finish(pid_t c, int release)
{
	int st;
	close(release);
	waitpid(c, &st, 0);
	printf("child exited 0: %s\n", yes(WIFEXITED(st) && WEXITSTATUS(st) == 0));
	char path[64];
	struct stat sb;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
	int fd = open(path, O_RDONLY);
	printf("reaped child's stat: %s\n", fd < 0 ? errname(errno) : "exists");
	if (fd >= 0) close(fd);
	snprintf(path, sizeof path, "/proc/%d", (int)c);
	printf("reaped child's dir: %s\n", stat(path, &sb) < 0 ? errname(errno) : "exists");
	printf("reaped child listed: %s\n", yes(listed(c)));
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--blocker")) {
		const char *b = strrchr(argv[0], '/');
		snprintf(name15, sizeof name15, "%s", b ? b + 1 : argv[0]);
		blocker(atoi(argv[2]), atoi(argv[3]));
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) { printf("no /proc/self/exe\n"); return 1; }
	exe[n] = 0;
	const char *b = strrchr(exe, '/');
	snprintf(name15, sizeof name15, "%s", b ? b + 1 : exe);

	int fd, release;
	printf("-- a forked child\n");
	pid_t c = start(0, &fd, &release);
	check_stat(c, name15);
	check_status(c, name15);
	char path[64], buf[64], want[20];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)c);
	snprintf(want, sizeof want, "%s\n", name15);
	printf("comm is the program's name: %s\n", yes(slurp(path, buf, sizeof buf) > 0 && !strcmp(buf, want)));
	check_cmdline(c, argv, argc);
	check_links(c, fd);
	printf("ls /proc shows the child: %s, and us: %s\n", yes(listed(c)), yes(listed(getpid())));
	finish(c, release);

	printf("-- a child renamed with PR_SET_NAME\n");
	c = start(1, &fd, &release);
	check_stat(c, "pidfs-renamed");
	snprintf(path, sizeof path, "/proc/%d/comm", (int)c);
	printf("comm is the new name: %s\n", yes(slurp(path, buf, sizeof buf) > 0 && !strcmp(buf, "pidfs-renamed\n")));
	finish(c, release);

	printf("-- a child that exec'd\n");
	c = start(2, &fd, &release);
	check_stat(c, name15);
	snprintf(path, sizeof path, "%d", fd);
	char *xargv[] = {exe, "--blocker", path, NULL};
	/* the exec'd child's argv: its third argument is the ready fd, which we do not know here */
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
	char cl[8192];
	int m = slurp(path, cl, sizeof cl);
	printf("cmdline starts with the new argv: %s\n", yes(m > 0 && !strcmp(cl, xargv[0]) && !strcmp(cl + strlen(cl) + 1, xargv[1])));
	check_links(c, fd);
	finish(c, release);

	printf("/proc/0: %s\n", stat("/proc/0", &(struct stat){0}) < 0 ? errname(errno) : "exists");
	return 0;
}
