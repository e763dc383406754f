/* Fields 7 (tty_nr) and 8 (tpgid) of /proc/<pid>/stat: the controlling terminal's device number
 * (the kernel's new_encode_dev of the slave's st_rdev) and its foreground group. A new session's
 * leader takes a pseudo-terminal's slave by opening it; its /proc/self/stat, a job's it put in
 * the foreground, and /proc/<pid>/stat of both read by others agree with the slave's st_rdev and
 * tcgetpgrp (of the slave, and of the master for the parent, which has another terminal or
 * none). A process of a session without a terminal shows tty_nr 0 and tpgid -1. The first
 * process's own terminal depends on how the test is run: nothing of it is printed. Only
 * relations are printed, never pids or device numbers. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

static unsigned slave_nr; /* the slave's device number, new_encode_dev'd */

struct ids {
	int ok, pgrp, session, tty_nr, tpgid;
};

static struct ids stat_of(const char *path)
{
	struct ids r = {0};
	char buf[1024];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return r;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return r;
	buf[n] = 0;
	char *close_paren = strrchr(buf, ')');
	char state;
	int ppid;
	if (close_paren && sscanf(close_paren + 1, " %c %d %d %d %d %d", &state, &ppid, &r.pgrp, &r.session, &r.tty_nr, &r.tpgid) == 6)
		r.ok = 1;
	return r;
}

static struct ids stat_of_pid(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	return stat_of(path);
}

static const char *yn(int b) { return b ? "yes" : "no"; }

/* What `who` shows of a process of the pseudo-terminal's session: its terminal is the slave,
 * and its tpgid is `fg`. */
static void show(const char *who, struct ids s, pid_t fg)
{
	if (!s.ok) {
		printf("%s: unreadable\n", who);
		return;
	}
	printf("%s: tty_nr is the slave: %s, tpgid is the foreground group: %s\n", who, yn((unsigned)s.tty_nr == slave_nr), yn(s.tpgid == fg));
}

static int leader_go[2], to_parent[2], job_go[2];

static int job(int tty)
{
	char c;
	read(job_go[0], &c, 1);
	pid_t fg = tcgetpgrp(tty);
	printf("job: in the foreground: %s\n", yn(fg == getpgrp()));
	show("job /proc/self/stat", stat_of("/proc/self/stat"), fg);
	show("job /proc/<leader>/stat", stat_of_pid(getppid()), fg);
	/* Give the terminal back to the leader's group (the job is in the foreground: allowed). */
	OK(tcsetpgrp(tty, getppid()));
	fflush(stdout);
	return 0;
}

static int leader(const char *slave_name)
{
	OK(setsid());
	int tty = open(slave_name, O_RDWR);
	CHECK(tty >= 0);
	pid_t fg = tcgetpgrp(tty);
	printf("leader: in the foreground: %s\n", yn(fg == getpgrp()));
	struct ids s = stat_of("/proc/self/stat");
	show("leader /proc/self/stat", s, fg);
	printf("leader /proc/self/stat: session is its own: %s\n", yn(s.session == getpid()));

	/* A job of its own group in the foreground: tpgid follows the terminal, not the reader. */
	fflush(stdout);
	pid_t j = fork();
	if (j == 0) {
		setpgid(0, 0);
		_exit(job(tty));
	}
	setpgid(j, j);
	OK(tcsetpgrp(tty, j));
	s = stat_of("/proc/self/stat");
	show("leader /proc/self/stat, job in front", s, j);
	printf("leader /proc/self/stat, job in front: tpgid is its own group: %s\n", yn(s.tpgid == getpgrp()));
	write(to_parent[1], &j, sizeof j);
	char c;
	read(leader_go[0], &c, 1);

	write(job_go[1], "g", 1);
	int st;
	waitpid(j, &st, 0);
	printf("leader: job exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	show("leader /proc/self/stat, terminal back", stat_of("/proc/self/stat"), getpgrp());
	fflush(stdout);
	return 0;
}

static int no_terminal(void)
{
	OK(setsid());
	struct ids s = stat_of("/proc/self/stat");
	printf("no terminal /proc/self/stat: tty_nr %d tpgid %d\n", s.tty_nr, s.tpgid);
	fflush(stdout);
	char c = 'r';
	write(to_parent[1], &c, 1);
	read(leader_go[0], &c, 1);
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char slave_name[64];
	int master = open_pty(slave_name, sizeof slave_name);
	struct stat sst;
	OK(stat(slave_name, &sst));
	unsigned ma = major(sst.st_rdev), mi = minor(sst.st_rdev);
	slave_nr = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
	CHECK(slave_nr != 0);
	if (pipe(leader_go) || pipe(to_parent) || pipe(job_go))
		return 1;

	/* 1. A session with the pseudo-terminal, seen from inside and from its parent. */
	fflush(stdout);
	pid_t l = fork();
	if (l == 0)
		_exit(leader(slave_name));
	pid_t j;
	if (read(to_parent[0], &j, sizeof j) != sizeof j)
		return 1;
	pid_t fg = tcgetpgrp(master);
	printf("parent: master's foreground group is the job: %s\n", yn(fg == j));
	show("parent /proc/<leader>/stat", stat_of_pid(l), fg);
	show("parent /proc/<job>/stat", stat_of_pid(j), fg);
	write(leader_go[1], "g", 1);
	int st;
	waitpid(l, &st, 0);
	printf("parent: leader exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* 2. A session without a terminal. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(no_terminal());
	char r;
	read(to_parent[0], &r, 1);
	struct ids s = stat_of_pid(c);
	printf("parent /proc/<no terminal>/stat: tty_nr %d tpgid %d\n", s.tty_nr, s.tpgid);
	write(leader_go[1], "g", 1);
	waitpid(c, &st, 0);
	printf("parent: no-terminal child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
