/* pipe, pipe2: data, EOF, O_NONBLOCK/EAGAIN, O_CLOEXEC, FIONREAD, capacity */
#include "common.h"
#include <sys/ioctl.h>

int main(void)
{
	int p[2];
	T(pipe(p));
	printf("fds %d %d\n", p[0], p[1]);
	T(write(p[1], "hello", 5));
	int n = -1;
	T(ioctl(p[0], FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	char buf[64] = {0};
	T(read(p[0], buf, 3));
	printf("[%s]\n", buf);
	T(ioctl(p[0], FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	T(read(p[0], buf, sizeof buf));
	T(fcntl(p[0], F_GETFL) & O_ACCMODE);
	T(fcntl(p[1], F_GETFL) & O_ACCMODE);
	T(read(p[1], buf, 1));
	T(write(p[0], "x", 1));
	T(close(p[1]));
	T(read(p[0], buf, sizeof buf)); /* EOF */
	T(close(p[0]));
	int q[2];
	T(pipe2(q, O_NONBLOCK | O_CLOEXEC));
	T(fcntl(q[0], F_GETFD));
	T(fcntl(q[1], F_GETFL) & O_NONBLOCK ? 1 : 0);
	T(read(q[0], buf, sizeof buf));
	/* fill the pipe: nonblocking write stops with EAGAIN after the capacity */
	static char chunk[4096];
	long total = 0;
	for (;;) {
		ssize_t w = write(q[1], chunk, sizeof chunk);
		if (w < 0) { printf("fill stopped: %s\n", errname(errno)); break; }
		total += w;
		if (total > 16 << 20) { printf("pipe never fills\n"); break; }
	}
	printf("capacity >= 4096: %s\n", total >= 4096 ? "yes" : "no");
	T(ioctl(q[0], FIONREAD, &n));
	printf("FIONREAD equals written: %s\n", n == total ? "yes" : "no");
	long got = 0;
	for (;;) { ssize_t r = read(q[0], chunk, sizeof chunk); if (r <= 0) { printf("drain ended: %ld %s\n", (long)r, r < 0 ? errname(errno) : ""); break; } got += r; }
	printf("read back all: %s\n", got == total ? "yes" : "no");
	T(pipe2(q, 0x12345));
	T(pipe((int *)1));
	/* blocking read after nonblock flag cleared, with data present */
	T(fcntl(q[0], F_SETFL, 0));
	T(write(q[1], "ab", 2));
	T(read(q[0], buf, 10));
	T(close(q[0]));
	T(close(q[1]));
	return 0;
}
