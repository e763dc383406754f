/* times, getrusage: sanity after burning CPU */
#include "common.h"
#include <sys/times.h>
#include <sys/resource.h>

int main(void)
{
	struct tms t0, t1;
	clock_t c0 = times(&t0);
	printf("times() not -1: %s\n", c0 != (clock_t)-1 ? "yes" : "no");
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 300000000UL; i++) x += i ^ (i >> 3);
	clock_t c1 = times(&t1);
	printf("elapsed ticks non-decreasing: %s\n", c1 >= c0 ? "yes" : "no");
	printf("user time non-decreasing: %s\n", t1.tms_utime >= t0.tms_utime ? "yes" : "no");
	printf("children times zero: %s\n", t1.tms_cutime == 0 && t1.tms_cstime == 0 ? "yes" : "no");
	struct rusage ru;
	T(getrusage(RUSAGE_SELF, &ru));
	printf("utime > 0: %s\n", ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 0 ? "yes" : "no");
	printf("usec in range: %s\n", ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000 ? "yes" : "no");
	printf("maxrss > 0: %s\n", ru.ru_maxrss > 0 ? "yes" : "no");
	T(getrusage(RUSAGE_CHILDREN, &ru));
	printf("children utime zero: %s\n", ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec == 0 ? "yes" : "no");
	T(getrusage(RUSAGE_THREAD, &ru));
	T(getrusage(12345, &ru));
	SYS(SYS_getrusage, RUSAGE_SELF, (void *)1);
	printf("raw times(NULL) succeeds: %s\n", syscall(SYS_times, NULL) != -1 ? "yes" : "no");
	return 0;
}
