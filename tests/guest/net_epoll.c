/* epoll: level- and edge-triggered, EPOLLONESHOT, the ctl errors, an epoll fd inside poll, and an
 * edge-triggered echo server on 127.0.0.1 (its own thread) serving 200 concurrent clients. */
#include "common.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define CLIENTS 200

static int ep_wait(int ep, int timeout)
{
	struct epoll_event e[8];
	int n = epoll_wait(ep, e, 8, timeout);
	printf("  wait -> %d", n);
	for (int i = 0; i < n; i++)
		printf(" [data %lu ev %#x]", (unsigned long)e[i].data.u64, e[i].events);
	printf("\n");
	return n;
}

static int listener;
static struct sockaddr_in addr;

/* Edge-triggered: drain every ready descriptor until EAGAIN. */
static void *server(void *arg)
{
	(void)arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = {.events = EPOLLIN | EPOLLET, .data.fd = listener};
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &e);
	int served = 0, open_conns = 0;
	while (served < CLIENTS || open_conns > 0) {
		struct epoll_event ev[16];
		int n = epoll_wait(ep, ev, 16, 5000);
		if (n <= 0) { printf("server wait: %d %s\n", n, errname(errno)); break; }
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == listener) {
				int c;
				while ((c = accept4(listener, 0, 0, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event ce = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
					served++;
					open_conns++;
				}
				if (errno != EAGAIN) printf("accept: %s\n", errname(errno));
				continue;
			}
			char buf[512];
			for (;;) {
				ssize_t r = read(fd, buf, sizeof buf);
				if (r > 0) { write(fd, buf, r); continue; }
				if (r == 0) { epoll_ctl(ep, EPOLL_CTL_DEL, fd, 0); close(fd); open_conns--; }
				else if (errno != EAGAIN) printf("read: %s\n", errname(errno));
				break;
			}
		}
	}
	printf("server: served %d\n", served);
	close(ep);
	return 0;
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	T(fcntl(ep, F_GETFD));
	T(epoll_create1(1));
	T(epoll_create(0));
	int p[2], q[2], r[2];
	pipe(p);
	pipe(q);
	pipe(r);
	printf("-- level-triggered\n");
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 11};
	T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
	ep_wait(ep, 0);
	write(p[1], "a", 1);
	ep_wait(ep, 1000);
	ep_wait(ep, 0);
	char c;
	read(p[0], &c, 1);
	ep_wait(ep, 0);
	printf("-- edge-triggered\n");
	e.events = EPOLLIN | EPOLLET;
	e.data.u64 = 22;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &e));
	write(q[1], "b", 1);
	ep_wait(ep, 1000);
	ep_wait(ep, 0);
	write(q[1], "c", 1);
	ep_wait(ep, 1000);
	printf("-- oneshot\n");
	e.events = EPOLLIN | EPOLLONESHOT;
	e.data.u64 = 33;
	T(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], 0));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, r[0], &e));
	write(r[1], "d", 1);
	ep_wait(ep, 1000);
	ep_wait(ep, 0);
	T(epoll_ctl(ep, EPOLL_CTL_MOD, r[0], &e));
	ep_wait(ep, 1000);
	T(epoll_ctl(ep, EPOLL_CTL_DEL, r[0], 0));
	printf("-- writable and both\n");
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	e.events = EPOLLOUT;
	e.data.u64 = 44;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e));
	ep_wait(ep, 0);
	write(sv[1], "x", 1);
	e.events = EPOLLIN | EPOLLOUT;
	T(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &e));
	ep_wait(ep, 0);
	T(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], 0));
	printf("-- hang-ups\n");
	e.events = EPOLLIN | EPOLLRDHUP;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e));
	read(sv[0], &c, 1);
	close(sv[1]);
	{
		struct epoll_event h[2];
		T(epoll_wait(ep, h, 2, 1000));
		printf("  hup %d rdhup %d\n", !!(h[0].events & EPOLLHUP), !!(h[0].events & EPOLLRDHUP));
		T(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], 0));
		int hp[2];
		pipe(hp);
		e.events = EPOLLIN;
		T(epoll_ctl(ep, EPOLL_CTL_ADD, hp[0], &e));
		close(hp[1]);
		T(epoll_wait(ep, h, 2, 1000));
		printf("  pipe hup %d\n", !!(h[0].events & EPOLLHUP));
		T(epoll_ctl(ep, EPOLL_CTL_DEL, hp[0], 0));
		close(hp[0]);
	}
	printf("-- inside poll\n");
	struct pollfd pf = {ep, POLLIN};
	T(poll(&pf, 1, 0));
	printf("  revents %#x\n", pf.revents);
	write(p[1], "e", 1);
	T(poll(&pf, 1, 1000));
	printf("  revents %#x\n", pf.revents);
	read(p[0], &c, 1);
	printf("-- errors\n");
	e.events = EPOLLIN;
	T(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e)); /* EEXIST */
	T(epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &e)); /* ENOENT */
	T(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], 0)); /* ENOENT */
	T(epoll_ctl(ep, 99, p[0], &e));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
	T(epoll_ctl(ep, EPOLL_CTL_ADD, 777, &e));
	T(epoll_ctl(777, EPOLL_CTL_ADD, p[0], &e));
	T(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &e)); /* not an epoll fd */
	write_file("plain", "x");
	int f = open("plain", O_RDONLY);
	T(epoll_ctl(ep, EPOLL_CTL_ADD, f, &e)); /* EPERM */
	struct epoll_event out[2];
	T(epoll_wait(ep, out, 0, 0));
	T(epoll_wait(p[0], out, 1, 0));
	volatile uintptr_t eight = 8;
	T(epoll_wait(ep, (struct epoll_event *)eight, 1, 0));
	close(ep);

	printf("-- echo server\n");
	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof addr;
	bind(listener, (struct sockaddr *)&addr, sizeof addr);
	getsockname(listener, (struct sockaddr *)&addr, &al);
	listen(listener, CLIENTS);
	pthread_t t;
	pthread_create(&t, 0, server, 0);
	static int cl[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		cl[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(cl[i], (struct sockaddr *)&addr, sizeof addr) < 0) printf("connect %d: %s\n", i, errname(errno));
	}
	for (int i = 0; i < CLIENTS; i++) {
		char m[32];
		int n = snprintf(m, sizeof m, "message %d", i);
		write(cl[i], m, n);
	}
	int good = 0;
	for (int i = 0; i < CLIENTS; i++) {
		char m[32], b[32] = {0};
		int n = snprintf(m, sizeof m, "message %d", i);
		int got = 0;
		while (got < n) {
			ssize_t k = read(cl[i], b + got, n - got);
			if (k <= 0) break;
			got += k;
		}
		good += got == n && memcmp(m, b, n) == 0;
		close(cl[i]);
	}
	pthread_join(t, 0);
	printf("echoed correctly: %d of %d\n", good, CLIENTS);
	return 0;
}
