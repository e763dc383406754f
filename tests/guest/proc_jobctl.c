/* Job control on a terminal the program makes itself: a pseudo-terminal (posix_openpt) becomes
 * the controlling terminal of a new session when its leader opens the slave. tcgetpgrp/tcsetpgrp
 * and tcgetsid answer for it; a background group that reads it stops with SIGTTIN (its parent's
 * waitpid(WUNTRACED) says so), and once made the foreground group and continued, the same read
 * gets the line typed on the master; under TOSTOP a background write stops with SIGTTOU; an
 * ignored SIGTTIN makes the read fail with EIO, an ignored SIGTTOU lets writes and tcsetpgrp go
 * ahead; a handler without SA_RESTART sees EINTR; an orphaned group's read is EIO; /dev/tty is
 * the controlling terminal and ENXIO without one; TIOCSCTTY and TIOCNOTTY follow Linux's rules.
 * Only relations are printed, never pids. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

static int master = -1;
static char slave_name[64];

static void status_line(const char *who, int st)
{
	if (WIFSTOPPED(st))
		printf("%s: stopped by %s\n", who, WSTOPSIG(st) == SIGTTIN ? "SIGTTIN" : WSTOPSIG(st) == SIGTTOU ? "SIGTTOU" : WSTOPSIG(st) == SIGTSTP ? "SIGTSTP" : "another signal");
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", who, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", who, WTERMSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", who);
	fflush(stdout);
}

/* A member of a new background group (its own); runs `body` and exits with its answer. */
static pid_t background(int (*body)(int), int tty)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(body(tty));
	}
	setpgid(c, c); /* both sides, as shells do, so neither races the other */
	return c;
}

static int read_line(int tty)
{
	char buf[64] = {0};
	ssize_t n = read(tty, buf, sizeof buf - 1);
	if (n < 0) {
		printf("read: -1 %s\n", errname(errno));
		return 1;
	}
	printf("read: \"%.*s\"\n", (int)strcspn(buf, "\r\n"), buf);
	return 0;
}

static int write_line(int tty)
{
	ssize_t n = write(tty, "out\n", 4);
	printf("write: %s\n", n == 4 ? "ok" : errname(errno));
	return 0;
}

static int read_ignoring_ttin(int tty)
{
	signal(SIGTTIN, SIG_IGN);
	return read_line(tty);
}

static int write_ignoring_ttou(int tty)
{
	signal(SIGTTOU, SIG_IGN);
	write_line(tty);
	/* tcsetpgrp from the background goes ahead too: give the terminal to ourselves. */
	OK(tcsetpgrp(tty, getpgrp()));
	CHECK(tcgetpgrp(tty) == getpgrp());
	return 0;
}

static volatile sig_atomic_t handled;
static void on_ttin(int s) { (void)s; handled = 1; }

static int read_with_handler(int tty)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_ttin; /* no SA_RESTART: the read fails with EINTR after the handler */
	sigaction(SIGTTIN, &sa, NULL);
	read_line(tty);
	CHECK(handled == 1);
	return 0;
}

/* An orphaned group: its only member's parent is gone (init, in another session, adopts it).
 * The answer travels through a pipe the leader reads. */
static int orphan_pipe[2];

static int orphan_read(int tty)
{
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		while (getppid() == parent)
			usleep(1000);
		char buf[8];
		ssize_t n = read(tty, buf, sizeof buf);
		char ans = n < 0 && errno == EIO ? 'E' : '?';
		write(orphan_pipe[1], &ans, 1);
		_exit(0);
	}
	return 0;
}

/* The session leader: takes the terminal by opening it, and runs the jobs. */
static int leader(void)
{
	OK(setsid());
	int tty = open(slave_name, O_RDWR);
	if (tty < 0) {
		printf("open slave: %s\n", errname(errno));
		return 1;
	}
	CHECK(tcgetpgrp(tty) == getpid());
	CHECK(tcgetsid(tty) == getpid());
	int dev = open("/dev/tty", O_RDWR);
	CHECK(dev >= 0);
	CHECK(dev >= 0 && tcgetpgrp(dev) == getpid());
	if (dev >= 0)
		close(dev);
	CHECK(ioctl(tty, TIOCSCTTY, 0) == 0); /* already ours: nothing to do */

	/* 1. A background read stops with SIGTTIN; foreground and continued, it reads the line. */
	int st;
	pid_t j = background(read_line, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("reader", st);
	CHECK(tcgetpgrp(tty) == getpid());
	OK(tcsetpgrp(tty, j));
	CHECK(tcgetpgrp(tty) == j);
	write(master, "typed\n", 6);
	kill(-j, SIGCONT);
	waitpid(j, &st, 0);
	status_line("reader", st);

	/* The leader is in the background now: tcsetpgrp stops it with SIGTTOU unless blocked. */
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	OK(tcsetpgrp(tty, getpgrp()));
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK(tcgetpgrp(tty) == getpid());
	T(tcsetpgrp(tty, 999999));

	/* 2. Writes from the background: allowed, until TOSTOP. */
	j = background(write_line, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("writer", st);
	struct termios t;
	tcgetattr(tty, &t);
	t.c_lflag |= TOSTOP;
	OK(tcsetattr(tty, TCSANOW, &t));
	j = background(write_line, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("writer with TOSTOP", st);
	kill(-j, SIGKILL);
	waitpid(j, &st, 0);
	status_line("writer with TOSTOP", st);
	j = background(write_ignoring_ttou, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("writer ignoring SIGTTOU", st);
	/* It took the terminal: take it back (SIGTTOU blocked, we are in the background). */
	CHECK(tcgetpgrp(tty) == j);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	OK(tcsetpgrp(tty, getpgrp()));
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* 3. Reads from the background that do not stop. */
	j = background(read_ignoring_ttin, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("reader ignoring SIGTTIN", st);
	j = background(read_with_handler, tty);
	waitpid(j, &st, WUNTRACED);
	status_line("reader with a handler", st);

	/* 4. An orphaned group's read: EIO, whatever SIGTTIN's disposition. */
	if (pipe(orphan_pipe) != 0)
		return 1;
	j = background(orphan_read, tty);
	waitpid(j, &st, 0);
	close(orphan_pipe[1]);
	char ans = 0;
	if (read(orphan_pipe[0], &ans, 1) == 1)
		printf("orphaned reader: %s\n", ans == 'E' ? "EIO" : "something else");
	close(orphan_pipe[0]);

	/* 5. Giving the terminal up: it is nobody's controlling terminal any more (and the leader's
	 * foreground group, its own, gets SIGHUP and SIGCONT). */
	signal(SIGHUP, SIG_IGN);
	OK(ioctl(tty, TIOCNOTTY));
	T(tcgetpgrp(tty));
	T(open("/dev/tty", O_RDWR));
	/* and it can be taken again by the leader, explicitly. */
	OK(ioctl(tty, TIOCSCTTY, 0));
	CHECK(tcgetpgrp(tty) == getpid());
	fflush(stdout);
	return 0;
}

/* A second session takes the freed terminal; its foreground job gets SIGHUP when the leader
 * exits, and says so through a pipe (`hup_wait` reaches EOF only once the leader and the first
 * process closed it, after the leader's end). */
static int hup_wait[2], hup_answer[2];
static volatile sig_atomic_t hung_up;
static void on_hup(int s) { (void)s; hung_up = 1; }

static int hup_job(int tty)
{
	(void)tty;
	struct sigaction sa = {0};
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	write(hup_answer[1], "R", 1); /* ready: the leader may end */
	close(hup_wait[1]);
	char go;
	while (!hung_up && read(hup_wait[0], &go, 1) < 0 && errno == EINTR)
		;
	char ans = hung_up ? 'H' : '-';
	write(hup_answer[1], &ans, 1);
	return 0;
}

static int second_leader(int killed)
{
	setsid();
	int tty = open(slave_name, O_RDWR);
	CHECK(tty >= 0 && tcgetpgrp(tty) == getpid());
	pid_t j = background(hup_job, tty);
	OK(tcsetpgrp(tty, j));
	char ready;
	read(hup_answer[0], &ready, 1);
	fflush(stdout);
	if (killed)
		raise(SIGTERM); /* killed: the same hang-up */
	return 0; /* exit: the terminal's foreground group, j's, gets SIGHUP */
}

/* A session on the freed terminal whose leader exits (or is killed): what its foreground job
 * saw. */
static void hang_up_case(const char *how, int killed)
{
	if (pipe(hup_wait) != 0 || pipe(hup_answer) != 0)
		exit(1);
	fflush(stdout);
	pid_t l = fork();
	if (l == 0)
		_exit(second_leader(killed));
	int st;
	waitpid(l, &st, 0);
	status_line(how, st);
	close(hup_wait[1]);
	close(hup_answer[1]);
	char ans = 0;
	read(hup_answer[0], &ans, 1);
	printf("foreground job at the leader's end: %s\n", ans == 'H' ? "SIGHUP" : "nothing");
	close(hup_wait[0]);
	close(hup_answer[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	master = open_pty(slave_name, sizeof slave_name);
	CHECK(strncmp(slave_name, "/dev/pts/", 9) == 0);
	/* The master side: no session yet, so no foreground group (0) and no session (ENOTTY). */
	T(tcgetpgrp(master));
	T(tcgetsid(master));
	int s = open(slave_name, O_RDWR | O_NOCTTY);
	CHECK(s >= 0);
	/* Not a session leader: may not take a terminal. */
	T(ioctl(s, TIOCSCTTY, 0));
	T(tcgetpgrp(s));
	close(s);

	fflush(stdout);
	pid_t l = fork();
	if (l == 0)
		_exit(leader());
	int st;
	waitpid(l, &st, 0);
	status_line("leader", st);
	/* The master sees the session it serves no more: the leader gave it up, then took it back
	 * and ended, which frees it. */
	T(tcgetpgrp(master));

	/* The terminal is free again: another session takes it; its leader's end hangs up, by
	 * exit or by a signal. */
	hang_up_case("second leader", 0);
	hang_up_case("third leader", 1);
	return 0;
}
