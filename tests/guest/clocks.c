/* clock_gettime/getres, gettimeofday, time, nanosleep, clock_nanosleep, sched_yield: relations only */
#include "common.h"
#include <time.h>
#include <sys/time.h>
#include <sched.h>

static double ts(struct timespec t) { return t.tv_sec + t.tv_nsec / 1e9; }

int main(void)
{
	struct timespec a, b, r;
	int mono_ok = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec)) mono_ok = 0;
		if (b.tv_nsec < 0 || b.tv_nsec >= 1000000000) mono_ok = 0;
		a = b;
	}
	printf("monotonic non-decreasing over 2000 reads: %s\n", mono_ok ? "yes" : "no");
	T(clock_gettime(CLOCK_REALTIME, &a));
	printf("realtime after 2020: %s\n", a.tv_sec > 1577836800 ? "yes" : "no");
	struct timeval tv;
	T(gettimeofday(&tv, NULL));
	printf("gettimeofday within 5 s of realtime: %s\n", tv.tv_sec - a.tv_sec <= 5 && tv.tv_sec >= a.tv_sec ? "yes" : "no");
	printf("tv_usec in range: %s\n", tv.tv_usec >= 0 && tv.tv_usec < 1000000 ? "yes" : "no");
	time_t t = time(NULL);
	printf("time() within 5 s: %s\n", t - a.tv_sec <= 5 && t >= a.tv_sec ? "yes" : "no");
	time_t t2;
	long rt = syscall(SYS_time, &t2);
	printf("raw time() returns and stores the same: %s\n", rt == (long)t2 ? "yes" : "no");
	clockid_t ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME };
	const char *names[] = { "REALTIME", "MONOTONIC", "PROCESS_CPUTIME_ID", "THREAD_CPUTIME_ID", "MONOTONIC_RAW", "REALTIME_COARSE", "MONOTONIC_COARSE", "BOOTTIME" };
	for (int i = 0; i < 8; i++) {
		int g = clock_gettime(ids[i], &a);
		int rr = clock_getres(ids[i], &r);
		printf("clock %s: gettime %s getres %s res <= 10ms %s\n", names[i], g ? errname(errno) : "ok", rr ? errname(errno) : "ok",
		       !rr && r.tv_sec == 0 && r.tv_nsec <= 10000000 ? "yes" : "no");
	}
	SYS(SYS_clock_gettime, 12345, &a);
	SYS(SYS_clock_getres, 12345, &r);
	/* sleeps: only lower bounds, never upper bounds (loaded machines) */
	struct timespec s0, s1, req = { 0, 20 * 1000 * 1000 }, rem = { 7, 7 };
	clock_gettime(CLOCK_MONOTONIC, &s0);
	T(nanosleep(&req, &rem));
	clock_gettime(CLOCK_MONOTONIC, &s1);
	printf("nanosleep 20ms slept at least 20ms: %s\n", ts(s1) - ts(s0) >= 0.0199 ? "yes" : "no");
	struct timespec badreq = { 0, 1000000000 };
	T(nanosleep(&badreq, NULL));
	struct timespec negreq = { -1, 0 };
	T(nanosleep(&negreq, NULL));
	req.tv_nsec = 10 * 1000 * 1000;
	clock_gettime(CLOCK_MONOTONIC, &s0);
	printf("clock_nanosleep relative = %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL));
	clock_gettime(CLOCK_MONOTONIC, &s1);
	printf("slept at least 10ms: %s\n", ts(s1) - ts(s0) >= 0.0099 ? "yes" : "no");
	struct timespec abs_t;
	clock_gettime(CLOCK_MONOTONIC, &abs_t);
	abs_t.tv_nsec += 10 * 1000 * 1000;
	if (abs_t.tv_nsec >= 1000000000) { abs_t.tv_sec++; abs_t.tv_nsec -= 1000000000; }
	printf("clock_nanosleep absolute = %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_t, NULL));
	clock_gettime(CLOCK_MONOTONIC, &s1);
	printf("woke after the deadline: %s\n", ts(s1) >= ts(abs_t) ? "yes" : "no");
	struct timespec past = { 0, 1 };
	printf("clock_nanosleep absolute in the past = %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
	printf("clock_nanosleep bad clock = %s\n", errname(clock_nanosleep(12345, 0, &req, NULL)));
	T(sched_yield());
	/* CPU time advances when we burn CPU */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s0);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 50000000UL; i++) x += i;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s1);
	printf("process cpu time advanced: %s\n", ts(s1) > ts(s0) ? "yes" : "no");
	return 0;
}
