/* /proc/self/stat and /proc/self/statm: Linux's field layout, with the values the process can
 * check against its own calls (pid, comm, ppid, pgrp, session, times, threads, sizes). */
#include "common.h"
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>

static char buf[4096];

static int slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) { printf("open %s: %s\n", path, errname(errno)); return -1; }
	int n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) return -1;
	buf[n] = 0;
	return n;
}

/* Fields after the command name: f[3] is state, up to f[52]. */
static char *f[64];
static int nf;
static char comm[64];

static void parse_stat(void)
{
	char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	nf = 0;
	if (!open_paren || !close_paren) { printf("no (comm)\n"); return; }
	snprintf(comm, sizeof comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	f[1] = buf;
	*open_paren = 0;
	nf = 2;
	for (char *p = strtok(close_paren + 1, " \n"); p && nf < 63; p = strtok(NULL, " \n"))
		f[++nf] = p;
}

static long fl(int i) { return i <= nf ? atol(f[i]) : -999; }

int main(void)
{
	/* burn some CPU so utime is not always 0 */
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 60000000UL; i++) x += i;
	if (slurp("/proc/self/stat") < 0) return 1;
	struct tms t;
	times(&t);
	parse_stat();
	printf("fields %d\n", nf);
	printf("pid %s\n", fl(1) == getpid() ? "matches" : "differs");
	printf("comm %s\n", comm);
	printf("state %s\n", nf >= 3 ? f[3] : "?");
	printf("ppid %s pgrp %s session %s\n", fl(4) == getppid() ? "matches" : "differs", fl(5) == getpgrp() ? "matches" : "differs",
	       fl(6) == getsid(0) ? "matches" : "differs");
	long ut = fl(14), st = fl(15);
	printf("utime+stime near times(): %s\n", labs(ut + st - (long)(t.tms_utime + t.tms_stime)) <= 3 ? "yes" : "no");
	printf("num_threads %ld\n", fl(20));
	printf("exit_signal %ld\n", fl(38));
	struct rlimit rl;
	getrlimit(RLIMIT_RSS, &rl);
	printf("rsslim matches getrlimit: %s\n", nf >= 25 && strtoull(f[25], NULL, 10) == (unsigned long long)rl.rlim_cur ? "yes" : "no");
	unsigned long long vsize = nf >= 23 ? strtoull(f[23], NULL, 10) : 0;
	/* statm right after: the same address space, in pages */
	if (slurp("/proc/self/statm") < 0) return 1;
	unsigned long sz, res, shr, text, lib, data, dt;
	int n = sscanf(buf, "%lu %lu %lu %lu %lu %lu %lu", &sz, &res, &shr, &text, &lib, &data, &dt);
	printf("statm fields %d\n", n);
	printf("statm size is vsize in pages: %s\n", vsize > 0 && sz * 4096 == vsize ? "yes" : "no");
	printf("statm text>0 %d data>0 %d\n", text > 0, data > 0);
	/* the thread's name is the command */
	T(prctl(PR_SET_NAME, "renamed"));
	if (slurp("/proc/self/stat") < 0) return 1;
	parse_stat();
	printf("comm after PR_SET_NAME %s\n", comm);
	/* /proc/<pid>/stat is the same file */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	if (slurp(path) < 0) return 1;
	parse_stat();
	printf("/proc/<pid>/stat: pid %s, comm %s, fields %d\n", fl(1) == getpid() ? "matches" : "differs", comm, nf);
	return 0;
}
