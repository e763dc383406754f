/* uname (sysname/machine), sysinfo sanity, gethostname, sethostname, sysconf */
#include "common.h"
#include <sys/utsname.h>
#include <sys/sysinfo.h>

int main(void)
{
	struct utsname u;
	T(uname(&u));
	printf("sysname %s machine %s\n", u.sysname, u.machine);
	int maj = 0, min = 0;
	sscanf(u.release, "%d.%d", &maj, &min);
	printf("release >= 3.2: %s\n", maj > 3 || (maj == 3 && min >= 2) ? "yes" : "no");
	printf("nodename non-empty: %s\n", u.nodename[0] ? "yes" : "no");
	char hn[256];
	T(gethostname(hn, sizeof hn));
	printf("gethostname matches uname: %s\n", !strcmp(hn, u.nodename) ? "yes" : "no");
	struct sysinfo si;
	T(sysinfo(&si));
	printf("uptime > 0: %s\n", si.uptime > 0 ? "yes" : "no");
	printf("totalram > 16 MiB: %s\n", (unsigned long long)si.totalram * si.mem_unit > (16ULL << 20) ? "yes" : "no");
	printf("freeram <= totalram: %s\n", si.freeram <= si.totalram ? "yes" : "no");
	printf("procs >= 1: %s\n", si.procs >= 1 ? "yes" : "no");
	printf("mem_unit >= 1: %s\n", si.mem_unit >= 1 ? "yes" : "no");
	SYS(SYS_sysinfo, (void *)1);
	printf("nprocs >= 1: %s\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1 ? "yes" : "no");
	printf("pagesize %ld\n", sysconf(_SC_PAGESIZE));
	printf("clk_tck %ld\n", sysconf(_SC_CLK_TCK));
	printf("open_max >= 64: %s\n", sysconf(_SC_OPEN_MAX) >= 64 ? "yes" : "no");
	/* sethostname: root may (in a private uts namespace it would stick); print only success-ness */
	long r = syscall(SYS_sethostname, (void *)1, 5);
	printf("sethostname bad pointer: %s\n", r == 0 ? "ok" : errname(errno));
	r = syscall(SYS_sethostname, "x", 100000);
	printf("sethostname huge length: %s\n", r == 0 ? "ok" : errname(errno));
	return 0;
}
