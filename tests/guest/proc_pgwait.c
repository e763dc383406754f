/* Process-group waits and zombies. Children in two groups (setpgid) and in the caller's own:
 * waitpid(-pgid) reaps only that group's children (whatever else has ended), waitpid(0) only the
 * caller's group, waitid(P_PGID) with WNOHANG answers 0 with si_pid 0 while members run, and
 * ECHILD once a group has none; a zombie keeps its group and session until reaped and kill(it, 0)
 * succeeds, after the reap ESRCH; a group wait interrupted by a handler without SA_RESTART fails
 * with EINTR, and with SA_RESTART goes on. Only relations are printed, never pids. */
#include "common.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

enum { A1, A2, B1, B2, B3, C1, NKIDS };
static const char *names[NKIDS] = {"A1", "A2", "B1", "B2", "B3", "C1"};
static const int codes[NKIDS] = {11, 12, 21, 22, 23, 31};
static pid_t kid[NKIDS];
static int go[NKIDS]; /* write end: closing it lets the child end */

/* A child that waits until its pipe closes, sleeps `ms`, and exits with its code. */
static void make(int i, pid_t group, int ms)
{
	int p[2];
	if (pipe(p) != 0) {
		printf("pipe: %s\n", errname(errno));
		exit(1);
	}
	fflush(stdout);
	pid_t c = fork();
	if (c < 0) {
		printf("fork: %s\n", errname(errno));
		exit(1);
	}
	if (c == 0) {
		close(p[1]);
		for (int j = 0; j < i; j++)
			close(go[j]);
		if (group >= 0)
			setpgid(0, group);
		char b;
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
		if (ms)
			usleep(ms * 1000);
		_exit(codes[i]);
	}
	close(p[0]);
	/* Both sides set the group, so it is set whoever runs first. */
	if (group >= 0 && setpgid(c, group ? group : c) != 0)
		printf("setpgid %s: %s\n", names[i], errname(errno));
	kid[i] = c;
	go[i] = p[1];
}

static const char *who(pid_t p)
{
	for (int i = 0; i < NKIDS; i++)
		if (kid[i] == p)
			return names[i];
	return p == 0 ? "none" : p < 0 ? "error" : "stranger";
}

/* Waits until child i has ended, leaving it a zombie. */
static void until_zombie(int i)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	while (waitid(P_PID, kid[i], &si, WEXITED | WNOWAIT) != 0 && errno == EINTR)
		;
}

static int handled;
static void on_alarm(int sig)
{
	(void)sig;
	handled++;
}

/* Lets B3 end: the wait it interrupted, restarted, reaps it. */
static void on_alarm_release(int sig)
{
	(void)sig;
	handled++;
	close(go[B3]);
}

static void alarm_in(int ms)
{
	struct itimerval it = {{0, 0}, {0, ms * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
	int st, r;
	siginfo_t si;
	pid_t w;

	make(A1, 0, 0);
	pid_t ga = kid[A1];
	make(A2, ga, 0);
	make(B1, 0, 0);
	pid_t gb = kid[B1];
	make(B2, gb, 0);
	make(B3, gb, 0);
	make(C1, -1, 0);
	printf("groups: A1 leads A %s, A2 in A %s, B2 in B %s, C1 in ours %s\n",
	       getpgid(kid[A1]) == kid[A1] ? "yes" : "no", getpgid(kid[A2]) == ga ? "yes" : "no",
	       getpgid(kid[B2]) == gb ? "yes" : "no", getpgid(kid[C1]) == getpgrp() ? "yes" : "no");

	/* Nothing has ended yet. */
	memset(&si, 0xff, sizeof si);
	r = waitid(P_PGID, ga, &si, WEXITED | WNOHANG);
	printf("waitid(P_PGID A, WNOHANG) while A runs = %d, si_pid %d\n", r, (int)si.si_pid);
	printf("waitpid(-A, WNOHANG) = %s\n", who(waitpid(-ga, &st, WNOHANG)));
	printf("waitpid(0, WNOHANG) = %s\n", who(waitpid(0, &st, WNOHANG)));

	/* B1 ends and stays a zombie: it keeps its group and session until reaped. */
	close(go[B1]);
	until_zombie(B1);
	printf("zombie B1: getpgid is B %s, getsid is ours %s, kill(0) = %d, kill(SIGTERM) = %d\n",
	       getpgid(kid[B1]) == gb ? "yes" : "no", getsid(kid[B1]) == getsid(0) ? "yes" : "no",
	       kill(kid[B1], 0), kill(kid[B1], SIGTERM));
	memset(&si, 0xff, sizeof si);
	r = waitid(P_PGID, ga, &si, WEXITED | WNOHANG);
	printf("waitid(P_PGID A, WNOHANG) with only B1 ended = %d, si_pid %d\n", r, (int)si.si_pid);
	printf("waitpid(0, WNOHANG) with only B1 ended = %s\n", who(waitpid(0, &st, WNOHANG)));

	/* Group A's children end later than B2 (which ends first, and is not reported). */
	close(go[B2]);
	until_zombie(B2);
	close(go[A1]);
	close(go[A2]);
	const char *got[2];
	int codesum = 0;
	for (int i = 0; i < 2; i++) {
		w = waitpid(-ga, &st, 0);
		got[i] = who(w);
		codesum += WIFEXITED(st) ? WEXITSTATUS(st) : -1000;
	}
	if (strcmp(got[0], got[1]) > 0) {
		const char *t = got[0];
		got[0] = got[1];
		got[1] = t;
	}
	printf("waitpid(-A) twice: %s %s, codes sum %d\n", got[0], got[1], codesum);
	errno = 0;
	w = waitpid(-ga, &st, 0);
	printf("waitpid(-A) again = %s %s\n", who(w), errname(errno));
	errno = 0;
	r = waitid(P_PGID, ga, &si, WEXITED);
	printf("waitid(P_PGID A) again = %d %s\n", r, errname(errno));

	/* The caller's own group: C1 only (B1 and B2, zombies of group B, are not in it). */
	close(go[C1]);
	w = waitpid(0, &st, 0);
	printf("waitpid(0) = %s code %d\n", who(w), WEXITSTATUS(st));
	errno = 0;
	w = waitpid(0, &st, WNOHANG);
	printf("waitpid(0, WNOHANG) again = %s %s\n", who(w), errname(errno));
	errno = 0;
	memset(&si, 0, sizeof si);
	r = waitid(P_PGID, 0, &si, WEXITED | WNOHANG);
	printf("waitid(P_PGID 0) = %d %s\n", r, errname(errno));

	/* Group B: two zombies and B3 running. */
	const char *gotb[2];
	int bsum = 0;
	for (int i = 0; i < 2; i++) {
		memset(&si, 0, sizeof si);
		r = waitid(P_PGID, gb, &si, WEXITED | WNOHANG);
		gotb[i] = r == 0 ? who(si.si_pid) : "error";
		bsum += si.si_code == CLD_EXITED ? si.si_status : -1000;
	}
	if (strcmp(gotb[0], gotb[1]) > 0) {
		const char *t = gotb[0];
		gotb[0] = gotb[1];
		gotb[1] = t;
	}
	printf("waitid(P_PGID B, WNOHANG) twice: %s %s, statuses sum %d\n", gotb[0], gotb[1], bsum);
	errno = 0;
	r = getpgid(kid[B1]);
	printf("reaped B1: getpgid %d %s, ", r, errname(errno));
	errno = 0;
	r = kill(kid[B1], 0);
	printf("kill(0) %d %s\n", r, errname(errno));
	memset(&si, 0xff, sizeof si);
	r = waitid(P_PGID, gb, &si, WEXITED | WNOHANG);
	printf("waitid(P_PGID B, WNOHANG) while B3 runs = %d, si_pid %d\n", r, (int)si.si_pid);

	/* A handler without SA_RESTART: the group wait fails with EINTR. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm_in(50);
	errno = 0;
	w = waitpid(-gb, &st, 0);
	printf("waitpid(-B) interrupted by a handler = %s %s, handled %d\n", who(w), errname(errno), handled);
	/* With SA_RESTART it goes on after the handler, which lets B3 end. */
	sa.sa_handler = on_alarm_release;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	alarm_in(50);
	errno = 0;
	w = waitpid(-gb, &st, 0);
	printf("waitpid(-B) with SA_RESTART = %s code %d %s, handled %d\n", who(w), WEXITSTATUS(st), errname(errno), handled);
	errno = 0;
	w = waitpid(-gb, &st, 0);
	printf("waitpid(-B) again = %s %s\n", who(w), errname(errno));
	errno = 0;
	w = waitpid(-1, &st, 0);
	printf("waitpid(-1) at the end = %s %s\n", who(w), errname(errno));
	return 0;
}
