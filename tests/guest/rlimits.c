/* getrlimit, setrlimit, prlimit64 */
#include "common.h"
#include <sys/resource.h>

int main(void)
{
	struct rlimit r, r2;
	T(getrlimit(RLIMIT_NOFILE, &r));
	printf("nofile soft <= hard: %s\n", r.rlim_cur <= r.rlim_max ? "yes" : "no");
	r2 = r;
	r2.rlim_cur = r.rlim_cur > 64 ? 64 : r.rlim_cur;
	T(setrlimit(RLIMIT_NOFILE, &r2));
	struct rlimit r3;
	T(getrlimit(RLIMIT_NOFILE, &r3));
	printf("soft limit now 64: %s\n", r3.rlim_cur == r2.rlim_cur ? "yes" : "no");
	/* the limit is enforced: opening past it fails with EMFILE */
	int last = -1, n = 0;
	for (;;) { int fd = open("/dev/null", O_RDONLY); if (fd < 0) { printf("stopped with %s after %s\n", errname(errno), n > 10 ? "many" : "few"); break; } last = fd; n++; if (n > 100000) break; }
	printf("highest fd below limit: %s\n", last == (int)r2.rlim_cur - 1 ? "yes" : "no");
	T(dup2(0, (int)r2.rlim_cur));
	T(fcntl(0, F_DUPFD, (int)r2.rlim_cur));
	for (int i = 3; i <= last; i++) close(i);
	T(setrlimit(RLIMIT_NOFILE, &r));
	struct rlimit bad = { 10, 5 };
	T(setrlimit(RLIMIT_NOFILE, &bad));
	T(getrlimit(RLIMIT_STACK, &r));
	printf("stack soft >= 128 KiB: %s\n", r.rlim_cur >= (128 << 10) ? "yes" : "no");
	T(getrlimit(RLIMIT_AS, &r));
	T(getrlimit(RLIMIT_CORE, &r));
	T(getrlimit(RLIMIT_CPU, &r));
	T(getrlimit(999, &r));
	struct rlimit old;
	T(prlimit(0, RLIMIT_NOFILE, NULL, &old));
	T(prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
	SYS(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, (void *)1);
	struct rlimit core0 = { 0, 0 };
	T(setrlimit(RLIMIT_CORE, &core0));
	T(getrlimit(RLIMIT_CORE, &r));
	printf("core %lu %lu\n", (unsigned long)r.rlim_cur, (unsigned long)r.rlim_max);
	return 0;
}
