/* sched_getaffinity/setaffinity (process and thread), sched_get_priority_*, sched_getscheduler and
 * sched_getparam answers, and sched_yield. musl's sched_getscheduler/getparam wrappers are ENOSYS stubs,
 * so those go through syscall(). */
#include "common.h"
#include <pthread.h>
#include <sched.h>

static void *thr(void *arg)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	int r = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
	CPU_ZERO(&s);
	int g = pthread_getaffinity_np(pthread_self(), sizeof s, &s);
	printf("thread: setaffinity {0} = %s, get = %s, count %d, cpu0 %d\n", errname(r), errname(g), CPU_COUNT(&s),
	       (int)CPU_ISSET(0, &s));
	return NULL;
}

int main(void)
{
	cpu_set_t s, orig;
	CPU_ZERO(&orig);
	T(sched_getaffinity(0, sizeof orig, &orig));
	int n = CPU_COUNT(&orig);
	printf("cpus in affinity mask equals online cpus: %s\n", n == sysconf(_SC_NPROCESSORS_ONLN) ? "yes" : "no");
	printf("raw sched_getaffinity returns %ld bytes (nonzero: %s)\n",
	       syscall(SYS_sched_getaffinity, 0, sizeof s, &s) > 0 ? 1L : 0L, "checked");
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	T(sched_setaffinity(0, sizeof s, &s));
	CPU_ZERO(&s);
	sched_getaffinity(0, sizeof s, &s);
	printf("after set {0}: count %d cpu0 %d\n", CPU_COUNT(&s), (int)CPU_ISSET(0, &s));
	CPU_ZERO(&s);
	T(sched_setaffinity(0, sizeof s, &s));
	CPU_ZERO(&s);
	CPU_SET(1000, &s);
	T(sched_setaffinity(0, sizeof s, &s));
	T(sched_getaffinity(0, 1, &s));
	T(sched_setaffinity(0, sizeof orig, &orig));
	CPU_ZERO(&s);
	sched_getaffinity(0, sizeof s, &s);
	printf("restored: %s\n", CPU_EQUAL(&s, &orig) ? "yes" : "no");
	T(sched_getaffinity(99999999, sizeof s, &s));
	pthread_t t;
	pthread_create(&t, NULL, thr, NULL);
	pthread_join(t, NULL);
	CPU_ZERO(&s);
	sched_getaffinity(0, sizeof s, &s);
	printf("main thread unaffected by the thread's mask: %s\n", CPU_EQUAL(&s, &orig) ? "yes" : "no");

	int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 42};
	const char *pn[] = {"OTHER", "FIFO", "RR", "BATCH", "IDLE", "42"};
	for (int i = 0; i < 6; i++) {
		errno = 0;
		int mx = sched_get_priority_max(pols[i]);
		int e1 = errno;
		errno = 0;
		int mn = sched_get_priority_min(pols[i]);
		printf("SCHED_%s: max %d %s min %d %s\n", pn[i], mx, mx < 0 ? errname(e1) : "", mn, mn < 0 ? errname(errno) : "");
	}
	T(syscall(SYS_sched_getscheduler, 0));
	T(syscall(SYS_sched_getscheduler, -1));
	struct sched_param p = {.sched_priority = 55};
	T(syscall(SYS_sched_getparam, 0, &p));
	printf("priority %d\n", p.sched_priority);
	struct timespec ts;
	T(syscall(SYS_sched_rr_get_interval, 0, &ts));
	T(sched_yield());
	int pol;
	struct sched_param pp;
	T(pthread_getschedparam(pthread_self(), &pol, &pp));
	printf("pthread policy %d priority %d\n", pol, pp.sched_priority);
	return 0;
}
