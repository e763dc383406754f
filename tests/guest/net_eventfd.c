/* eventfd (counter and EFD_SEMAPHORE) and timerfd (one-shot, periodic, absolute, disarmed), each
 * read directly and waited for in poll and in epoll. */
#include "common.h"
#include <poll.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

static void rd(int fd)
{
	uint64_t v = 0;
	ssize_t r = read(fd, &v, sizeof v);
	if (r < 0)
		printf("  read: %s\n", errname(errno));
	else
		printf("  read %ld: %llu\n", (long)r, (unsigned long long)v);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	printf("-- eventfd\n");
	int e = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	T(fcntl(e, F_GETFD));
	T(fcntl(e, F_GETFL) & O_NONBLOCK ? 1 : 0);
	rd(e);
	rd(e); /* EAGAIN */
	uint64_t add = 5;
	T(write(e, &add, sizeof add));
	T(write(e, &add, sizeof add));
	struct pollfd p = {e, POLLIN | POLLOUT};
	T(poll(&p, 1, 0));
	printf("  revents %#x\n", p.revents);
	rd(e);
	T(poll(&p, 1, 0));
	printf("  revents %#x\n", p.revents);
	T(write(e, &add, 4)); /* EINVAL: 8 bytes or nothing */
	add = ~0ull;
	T(write(e, &add, sizeof add)); /* EINVAL: the maximum is ~0 - 1 */
	char small[4];
	T(read(e, small, sizeof small));
	printf("-- semaphore\n");
	int s = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	rd(s);
	rd(s);
	rd(s);
	T(eventfd(0, 0x4000));
	printf("-- in epoll\n");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7}, out[4];
	T(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
	T(epoll_wait(ep, out, 4, 0));
	add = 1;
	write(e, &add, sizeof add);
	T(epoll_wait(ep, out, 4, 1000));
	printf("  data %lu events %#x\n", (unsigned long)out[0].data.u64, out[0].events);
	T(epoll_wait(ep, out, 4, 0));

	printf("-- timerfd\n");
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	T(fcntl(t, F_GETFD));
	struct itimerspec its = {{0, 0}, {0, 30000000}}, old, cur;
	T(timerfd_settime(t, 0, &its, &old));
	printf("  old %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);
	T(timerfd_gettime(t, &cur));
	printf("  pending: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30000000);
	rd(t); /* blocks ~30 ms */
	T(timerfd_gettime(t, &cur));
	printf("  disarmed: %ld.%09ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
	/* Periodic, in epoll. */
	int tn = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	rd(tn); /* EAGAIN */
	struct itimerspec per = {{0, 10000000}, {0, 10000000}};
	T(timerfd_settime(tn, 0, &per, 0));
	ev.events = EPOLLIN;
	ev.data.u64 = 9;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, tn, &ev));
	int fired = 0;
	for (int i = 0; i < 3; i++) {
		int n = epoll_wait(ep, out, 4, 1000);
		for (int k = 0; k < n; k++)
			if (out[k].data.u64 == 9) {
				uint64_t v = 0;
				if (read(tn, &v, 8) == 8 && v >= 1) fired++;
			}
	}
	printf("  periodic fired in epoll: %d\n", fired);
	/* Absolute on CLOCK_REALTIME, already past: fires at once. */
	int ta = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, 0}};
	T(timerfd_settime(ta, TFD_TIMER_ABSTIME, &abs, 0));
	struct pollfd tp = {ta, POLLIN};
	T(poll(&tp, 1, 1000));
	rd(ta);
	/* Bad input. */
	T(timerfd_create(12345, 0));
	T(timerfd_create(CLOCK_MONOTONIC, 0x4000));
	its.it_value.tv_nsec = 1000000000;
	T(timerfd_settime(t, 0, &its, 0));
	T(timerfd_settime(t, 0x100, &per, 0));
	T(timerfd_settime(e, 0, &per, 0)); /* not a timerfd */
	T(timerfd_gettime(999, &cur));
	return 0;
}
