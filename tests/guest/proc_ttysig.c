/* Keyboard signals through a pseudo-terminal: a session leader takes the slave as controlling
 * terminal and puts one job at a time in the foreground; the program's first process, holding
 * the master, types INTR (^C), SUSP (^Z) and QUIT (^\) and changes the window size. The
 * foreground job dies of SIGINT, stops with SIGTSTP, dies of SIGQUIT, takes SIGWINCH; with ISIG
 * off the ^C is an ordinary byte it reads. Only statuses are printed, never pids. */
#include "common.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>

static char slave_name[64];
static int ready[2]; /* job → first process: it is in the foreground, its handlers set */

static void status_line(const char *who, int st)
{
	if (WIFSTOPPED(st))
		printf("%s: stopped by signal %d\n", who, WSTOPSIG(st));
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", who, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", who, WTERMSIG(st));
	fflush(stdout);
}

static volatile sig_atomic_t winched;
static void on_winch(int s) { (void)s; winched = 1; }

enum job { WAIT, READ_BYTE, WAIT_WINCH };

/* One foreground job of the leader's session; the leader reports how it ended. */
static void run_job(const char *name, int tty, enum job what)
{
	int go[2];
	pipe(go);
	fflush(stdout);
	pid_t j = fork();
	if (j == 0) {
		setpgid(0, 0);
		close(go[1]);
		sigset_t winch, open_mask;
		sigemptyset(&winch);
		sigaddset(&winch, SIGWINCH);
		if (what == WAIT_WINCH) {
			struct sigaction sa = {0};
			sa.sa_handler = on_winch;
			sigaction(SIGWINCH, &sa, NULL);
			/* Held until sigsuspend, so it cannot land between the test and the wait. */
			sigprocmask(SIG_BLOCK, &winch, &open_mask);
		}
		char c;
		read(go[0], &c, 1); /* the leader made us the foreground group */
		write(ready[1], "R", 1); /* set up: the first process may type */
		if (what == READ_BYTE) {
			char buf[8] = {0};
			ssize_t n = read(tty, buf, sizeof buf);
			_exit(n > 0 ? (unsigned char)buf[0] : 100);
		}
		while (what == WAIT_WINCH && !winched)
			sigsuspend(&open_mask);
		if (what == WAIT_WINCH)
			_exit(28);
		for (;;)
			pause();
	}
	setpgid(j, j);
	tcsetpgrp(tty, j);
	close(go[0]);
	close(go[1]); /* the job may go on */
	int st;
	waitpid(j, &st, WUNTRACED);
	status_line(name, st);
	if (WIFSTOPPED(st)) {
		kill(j, SIGKILL);
		waitpid(j, &st, 0);
	}
	/* Back to the leader (SIGTTOU blocked: it is in the background now). */
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(tty, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int leader(void)
{
	setsid();
	int tty = open(slave_name, O_RDWR);
	if (tty < 0 || tcgetpgrp(tty) != getpid()) {
		printf("no controlling terminal: %s\n", errname(errno));
		return 1;
	}
	run_job("^C", tty, WAIT);
	run_job("^Z", tty, WAIT);
	run_job("^\\", tty, WAIT);
	run_job("window change", tty, WAIT_WINCH);
	struct termios t;
	tcgetattr(tty, &t);
	t.c_lflag &= ~ISIG;
	tcsetattr(tty, TCSANOW, &t);
	run_job("^C without ISIG", tty, READ_BYTE);
	return 0;
}

/* Waits until the leader put the next job in the foreground. */
static void await_job(void)
{
	char c;
	if (read(ready[0], &c, 1) != 1) {
		printf("the leader went away\n");
		exit(1);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int master = open_pty(slave_name, sizeof slave_name);
	pipe(ready);
	fflush(stdout);
	pid_t l = fork();
	if (l == 0) {
		close(ready[0]);
		_exit(leader());
	}
	close(ready[1]);
	await_job();
	write(master, "\003", 1);
	await_job();
	write(master, "\032", 1);
	await_job();
	write(master, "\034", 1);
	await_job();
	struct winsize w = {.ws_row = 33, .ws_col = 101};
	/* Nothing printed on success: the leader's report of the job races with this process. */
	if (ioctl(master, TIOCSWINSZ, &w) != 0)
		printf("TIOCSWINSZ: %s\n", errname(errno));
	await_job();
	write(master, "\003\n", 2);
	int st;
	waitpid(l, &st, 0);
	status_line("leader", st);
	return 0;
}
