/* Readiness: poll, ppoll, select and pselect on pipes, regular files and sockets; a nonblocking
 * connect (EINPROGRESS, then POLLOUT and SO_ERROR); timeouts and the time left; bad descriptors. */
#include "common.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>

static volatile int caught;
static void on_usr1(int s) { (void)s; caught = 1; }

static void show(const char *what, struct pollfd *p, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		printf(" %#x", p[i].revents);
	printf("\n");
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	int p[2];
	T(pipe(p));
	write_file("file", "data");
	int f = open("file", O_RDONLY);
	struct pollfd fds[4] = {{p[0], POLLIN}, {p[1], POLLOUT | POLLWRNORM}, {f, POLLIN | POLLOUT}, {-1, POLLIN}};
	T(poll(fds, 4, 0));
	show("empty pipe", fds, 4);
	T(write(p[1], "x", 1));
	T(poll(fds, 4, -1));
	show("pipe with data", fds, 4);
	T(close(p[1]));
	fds[1].fd = -1;
	T(poll(fds, 2, 100));
	show("writer closed", fds, 2);
	struct pollfd bad = {1000, POLLIN};
	T(poll(&bad, 1, 0));
	printf("bad fd: %#x\n", bad.revents);
	volatile uintptr_t one = 1;
	T(poll((struct pollfd *)one, 1, 0));
	/* A timeout that expires. */
	int q[2];
	pipe(q);
	struct pollfd w = {q[0], POLLIN};
	T(poll(&w, 1, 30));
	struct timespec ts = {0, 30000000};
	T(ppoll(&w, 1, &ts, 0));
	printf("ppoll time left: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	ts.tv_nsec = 2000000000;
	T(ppoll(&w, 1, &ts, 0));
	/* ppoll's mask lets a pending blocked signal through: EINTR, the handler runs, the old mask
	 * is back afterwards. */
	sigset_t block, none;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, 0);
	sigprocmask(SIG_BLOCK, &block, 0);
	raise(SIGUSR1);
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	T(ppoll(&w, 1, &ts, &none));
	printf("caught %d\n", caught);
	sigset_t now;
	sigprocmask(SIG_SETMASK, 0, &now);
	printf("mask restored: %d\n", sigismember(&now, SIGUSR1));

	/* select. */
	fd_set r, wr;
	FD_ZERO(&r);
	FD_ZERO(&wr);
	FD_SET(q[0], &r);
	FD_SET(q[1], &wr);
	struct timeval tv = {0, 20000};
	T(select(q[1] + 1, &r, &wr, 0, &tv));
	printf("readable %d writable %d\n", FD_ISSET(q[0], &r), FD_ISSET(q[1], &wr));
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 30000;
	T(select(q[0] + 1, &r, 0, 0, &tv));
	printf("timed out: left %ld.%06ld, readable %d\n", (long)tv.tv_sec, (long)tv.tv_usec, FD_ISSET(q[0], &r));
	write(q[1], "y", 1);
	FD_SET(q[0], &r);
	T(select(q[0] + 1, &r, 0, 0, 0));
	printf("readable %d\n", FD_ISSET(q[0], &r));
	FD_ZERO(&r);
	FD_SET(50, &r);
	T(select(51, &r, 0, 0, 0)); /* EBADF: open table slot range, nothing open */
	T(select(-1, 0, 0, 0, 0));
	tv.tv_sec = 0;
	tv.tv_usec = 10000;
	T(select(0, 0, 0, 0, &tv)); /* a sleep */
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	struct timespec pts = {1, 0};
	T(pselect(q[0] + 1, &r, 0, 0, &pts, &none));
	printf("pselect readable %d\n", FD_ISSET(q[0], &r));

	/* A nonblocking connect to a listener on 127.0.0.1. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	bind(l, (struct sockaddr *)&a, sizeof a);
	getsockname(l, (struct sockaddr *)&a, &al);
	listen(l, 4);
	struct pollfd lp = {l, POLLIN};
	T(poll(&lp, 1, 0));
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc = connect(s, (struct sockaddr *)&a, sizeof a);
	printf("connect: %s\n", rc == 0 ? "at once" : errno == EINPROGRESS ? "EINPROGRESS" : errname(errno));
	struct pollfd cp = {s, POLLOUT};
	T(poll(&cp, 1, 5000));
	printf("connected: %#x\n", cp.revents);
	int err = -1;
	socklen_t el = sizeof err;
	T(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el));
	printf("SO_ERROR %d\n", err);
	T(poll(&lp, 1, 5000));
	printf("listener: %#x\n", lp.revents);
	int c = accept4(l, 0, 0, SOCK_NONBLOCK);
	struct pollfd rp = {c, POLLIN | POLLRDHUP};
	T(poll(&rp, 1, 0));
	T(read(c, &err, 1)); /* EAGAIN */
	T(write(s, "hi", 2));
	T(poll(&rp, 1, 5000));
	printf("data: %#x\n", rp.revents & POLLIN);
	close(s);
	T(poll(&rp, 1, 5000));
	printf("peer closed: in %d rdhup %d\n", !!(rp.revents & POLLIN), !!(rp.revents & POLLRDHUP));
	char buf[8];
	T(read(c, buf, sizeof buf));
	T(read(c, buf, sizeof buf));
	/* POLLRDHUP on a unix socketpair: only once the peer shut its writing side. */
	int sv[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct pollfd up = {sv[0], POLLIN | POLLOUT | POLLRDHUP};
	T(poll(&up, 1, 0));
	printf("socketpair open: %#x\n", up.revents);
	T(shutdown(sv[1], SHUT_WR));
	T(poll(&up, 1, 0));
	printf("socketpair peer SHUT_WR: %#x\n", up.revents);
	up.events = POLLOUT;
	T(poll(&up, 1, 0));
	printf("not asked for: %#x\n", up.revents);
	close(sv[0]);
	close(sv[1]);
	/* Refused: EINPROGRESS or at once, then POLLOUT|POLLERR and SO_ERROR ECONNREFUSED. */
	close(l);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	rc = connect(s, (struct sockaddr *)&a, sizeof a);
	if (rc < 0 && errno == EINPROGRESS) {
		cp.fd = s;
		poll(&cp, 1, 5000);
		getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
		printf("refused later: %s\n", errname(err));
	} else {
		printf("refused at once: %s\n", errname(errno));
	}
	return 0;
}
