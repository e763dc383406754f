/* getpid/getppid/gettid/getuid... consistency: relations, not values */
#include "common.h"
#include <sys/types.h>

int main(void)
{
	pid_t pid = getpid();
	printf("pid > 0: %s\n", pid > 0 ? "yes" : "no");
	printf("raw getpid matches: %s\n", syscall(SYS_getpid) == pid ? "yes" : "no");
	printf("gettid == pid (single thread): %s\n", syscall(SYS_gettid) == pid ? "yes" : "no");
	printf("ppid > 0 and != pid: %s\n", getppid() > 0 && getppid() != pid ? "yes" : "no");
	printf("pid stable: %s\n", getpid() == pid ? "yes" : "no");
	printf("uid == euid: %s\n", getuid() == geteuid() ? "yes" : "no");
	printf("gid == egid: %s\n", getgid() == getegid() ? "yes" : "no");
	uid_t r, e, s;
	T(getresuid(&r, &e, &s));
	printf("getresuid consistent: %s\n", r == getuid() && e == geteuid() && s == geteuid() ? "yes" : "no");
	gid_t gr, ge, gs;
	T(getresgid(&gr, &ge, &gs));
	printf("getresgid consistent: %s\n", gr == getgid() && ge == getegid() && gs == getegid() ? "yes" : "no");
	int n = getgroups(0, NULL);
	printf("getgroups count >= 0: %s\n", n >= 0 ? "yes" : "no");
	gid_t g[256];
	printf("getgroups fills same count: %s\n", getgroups(256, g) == n ? "yes" : "no");
	if (n > 0) { printf("getgroups too small: %d %s\n", getgroups(n > 1 ? 1 : 0, g) < 0 && n > 1 ? -1 : 0, n > 1 ? errname(errno) : "n/a"); }
	printf("getpgrp == getpgid(0): %s\n", getpgrp() == getpgid(0) ? "yes" : "no");
	printf("getpgid(pid) == getpgid(0): %s\n", getpgid(pid) == getpgid(0) ? "yes" : "no");
	/* the session id itself depends on where we were started (0 when the session leader is in
	   another pid namespace, as in containers), so only its success is compared */
	printf("getsid(0) succeeds: %s\n", getsid(0) >= 0 ? "yes" : "no");
	printf("getsid(pid) == getsid(0): %s\n", getsid(pid) == getsid(0) ? "yes" : "no");
	/* setting our ids to what they already are is always allowed */
	T(setuid(getuid()));
	T(setgid(getgid()));
	T(seteuid(geteuid()));
	T(setresuid(-1, -1, -1));
	T(setresgid(-1, -1, -1));
	T(setreuid(-1, -1));
	T(getpgid(-5));
	int tidword;
	printf("set_tid_address returns the tid: %s\n", syscall(SYS_set_tid_address, &tidword) == syscall(SYS_gettid) ? "yes" : "no");
	/* a new session: we become session and group leader */
	pid_t sid = setsid();
	printf("setsid: %s\n", sid == pid ? "new session led by us" : sid < 0 ? errname(errno) : "other");
	if (sid == pid) {
		printf("getsid(0) == pid: %s\n", getsid(0) == pid ? "yes" : "no");
		printf("getpgrp() == pid: %s\n", getpgrp() == pid ? "yes" : "no");
		T(setsid()); /* already a leader */
		T(setpgid(0, 0));
	}
	return 0;
}
