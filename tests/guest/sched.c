/* sched_getaffinity, getcpu, sched_yield: relations only */
#include "common.h"
#include <sched.h>

int main(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	T(sched_getaffinity(0, sizeof set, &set));
	int n = CPU_COUNT(&set);
	printf("affinity cpus >= 1: %s\n", n >= 1 ? "yes" : "no");
	printf("affinity <= online cpus: %s\n", n <= sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
	long r = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	printf("raw sched_getaffinity returns a size: %s\n", r > 0 && r <= (long)sizeof set && r % 8 == 0 ? "yes" : "no");
	SYS(SYS_sched_getaffinity, 0, 1, &set);
	SYS(SYS_sched_getaffinity, 0, sizeof set, (void *)1);
	unsigned cpu = 12345, node = 12345;
	r = syscall(SYS_getcpu, &cpu, &node, NULL);
	printf("getcpu = %ld, cpu in affinity: %s, node small: %s\n", r, r == 0 && CPU_ISSET(cpu, &set) ? "yes" : "no", node < 1024 ? "yes" : "no");
	printf("sched_getcpu in range: %s\n", sched_getcpu() >= 0 ? "yes" : "no");
	T(sched_yield());
	return 0;
}
