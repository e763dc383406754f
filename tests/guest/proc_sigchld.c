/* SIGCHLD: a handler sees CLD_EXITED/CLD_KILLED with si_pid and si_status; waitid with WNOHANG before
 * the child is done (si_pid 0) and after; WNOWAIT leaves the zombie; P_PGID; SIG_IGN on SIGCHLD reaps
 * children automatically (ECHILD); process groups: setpgid, getpgid, kill(-pgid). */
#include "common.h"
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t got, code, status, pid_ok;
static volatile pid_t expect;
static void on_chld(int s, siginfo_t *si, void *uc)
{
	got++;
	code = si->si_code;
	status = si->si_status;
	pid_ok = si->si_pid == expect;
}
static const char *cname(int c)
{
	return c == CLD_EXITED ? "CLD_EXITED" : c == CLD_KILLED ? "CLD_KILLED" : c == CLD_DUMPED ? "CLD_DUMPED"
	       : c == CLD_STOPPED ? "CLD_STOPPED" : "other";
}

static pid_t child_waiting_on(int fd)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		char c;
		int n = (int)read(fd, &c, 1);
		_exit(n == 1 ? c - '0' : 99);
	}
	return p;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t b, old;
	sigemptyset(&b);
	sigaddset(&b, SIGCHLD);
	sigprocmask(SIG_BLOCK, &b, &old);

	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(5);
	expect = p;
	while (!got)
		sigsuspend(&old);
	printf("SIGCHLD: %s status %d pid_ok %d\n", cname(code), (int)status, (int)pid_ok);
	int st;
	waitpid(p, &st, 0);

	got = 0;
	int q[2];
	pipe(q);
	p = child_waiting_on(q[0]);
	expect = p;
	close(q[0]);
	kill(p, SIGTERM);
	while (!got)
		sigsuspend(&old);
	printf("SIGCHLD: %s status %d pid_ok %d\n", cname(code), (int)status, (int)pid_ok);
	waitpid(p, &st, 0);
	close(q[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* waitid WNOHANG while the child still waits on our pipe */
	pipe(q);
	p = child_waiting_on(q[0]);
	close(q[0]);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	int r = waitid(P_PID, p, &si, WEXITED | WNOHANG);
	printf("waitid WNOHANG early = %d, si_pid %d\n", r, (int)si.si_pid);
	write(q[1], "6", 1);
	close(q[1]);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, p, &si, WEXITED | WNOWAIT);
	printf("waitid WNOWAIT = %d %s status %d pid_ok %d\n", r, cname(si.si_code), si.si_status, si.si_pid == p);
	memset(&si, 0, sizeof si);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid again (zombie kept) = %d %s status %d pid_ok %d\n", r, cname(si.si_code), si.si_status, si.si_pid == p);
	r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
	printf("waitid with nothing left = %d %s\n", r, errname(errno));
	T(waitid(P_PID, p, &si, 0));

	/* process groups */
	pid_t kids[3];
	int go[2];
	pipe(go);
	for (int i = 0; i < 3; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0) {
			close(go[1]);
			char c;
			read(go[0], &c, 1); /* until the group is killed */
			_exit(1);
		}
		setpgid(kids[i], kids[0]);
	}
	close(go[0]);
	printf("group of kid 2 is kid 0: %s; ours differs: %s\n", getpgid(kids[2]) == kids[0] ? "yes" : "no",
	       getpgid(0) != kids[0] ? "yes" : "no");
	memset(&si, 0, sizeof si);
	r = waitid(P_PGID, kids[0], &si, WEXITED | WNOHANG);
	printf("waitid P_PGID WNOHANG = %d si_pid %d\n", r, (int)si.si_pid);
	T(kill(-kids[0], SIGKILL));
	int killed = 0;
	for (int i = 0; i < 3; i++) {
		waitpid(kids[i], &st, 0);
		killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	}
	printf("killed by group signal: %d\n", killed);
	close(go[1]);
	T(kill(-kids[0], SIGKILL));

	/* setsid in a child */
	fflush(stdout);
	p = fork();
	if (p == 0) {
		pid_t sid = setsid();
		printf("child setsid: new session is its pid %s, pgid too %s\n", sid == getpid() ? "yes" : "no",
		       getpgid(0) == getpid() ? "yes" : "no");
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	T(setsid() == -1 ? -1 : 0);

	/* SIGCHLD ignored: children are reaped by the kernel */
	signal(SIGCHLD, SIG_IGN);
	fflush(stdout);
	p = fork();
	if (p == 0)
		_exit(0);
	errno = 0;
	r = waitpid(p, &st, 0);
	printf("with SIGCHLD ignored: waitpid = %d %s\n", r, errname(errno));
	return 0;
}
