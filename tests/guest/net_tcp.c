/* TCP over 127.0.0.1 and ::1: an echo server on a second thread, a client on the main one.
 * Ports are never printed (bound to port 0, read back with getsockname); options, names and
 * errors are. */
#include "common.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>

static int listener;

/* Echoes every connection until the client shuts down its side; stops after two. */
static void *server(void *arg)
{
	(void)arg;
	for (int n = 0; n < 2; n++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int c = accept4(listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		if (c < 0) { printf("accept4: %s\n", errname(errno)); return 0; }
		char buf[4096];
		ssize_t r;
		while ((r = read(c, buf, sizeof buf)) > 0)
			write(c, buf, r);
		close(c);
	}
	return 0;
}

static void client(int family, const char *label)
{
	printf("-- %s\n", label);
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	getsockname(listener, (struct sockaddr *)&a, &len);
	int s = socket(family, SOCK_STREAM, 0);
	T(connect(s, (struct sockaddr *)&a, len) == 0);
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof me, pl = sizeof peer;
	T(getsockname(s, (struct sockaddr *)&me, &ml));
	T(getpeername(s, (struct sockaddr *)&peer, &pl));
	printf("lengths %u %u, peer is the listener: %s, family %s\n", ml, pl,
	       pl == len && memcmp(&peer, &a, len) == 0 ? "yes" : "no",
	       me.ss_family == family ? "same" : "other");
	char big[100000];
	for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
	/* Send a lot on both paths: write and sendmsg with two iovecs. */
	ssize_t w = write(s, big, 60000);
	struct iovec iov[2] = {{big + 60000, 20000}, {big + 80000, 20000}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
	ssize_t w2 = sendmsg(s, &m, MSG_NOSIGNAL);
	printf("sent %ld %ld\n", (long)w, (long)w2);
	T(shutdown(s, SHUT_WR));
	static char back[100000];
	size_t got = 0;
	for (;;) {
		ssize_t r = recv(s, back + got, sizeof back - got, MSG_WAITALL);
		if (r <= 0) { printf("recv ended %ld %s\n", (long)r, r < 0 ? errname(errno) : ""); break; }
		got += r;
	}
	printf("echoed %zu bytes, same: %s\n", got, got == sizeof big && memcmp(big, back, got) == 0 ? "yes" : "no");
	T(close(s));
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	/* Options. */
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int v = 1, got = 0;
	socklen_t l = sizeof got;
	T(fcntl(s, F_GETFD));
	T(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	T(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &got, &l));
	printf("SO_REUSEADDR %d len %u\n", got != 0, l);
	T(getsockopt(s, SOL_SOCKET, SO_TYPE, &got, &l));
	printf("SO_TYPE %d\n", got);
	T(getsockopt(s, SOL_SOCKET, SO_ERROR, &got, &l));
	printf("SO_ERROR %d\n", got);
	T(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
	T(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &got, &l));
	printf("TCP_NODELAY %d\n", got != 0);
	T(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	v = 30;
	T(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v));
	T(getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &got, &l));
	printf("TCP_KEEPIDLE %d\n", got);
	struct timeval tv = {2, 500000}, tv2 = {0, 0};
	l = sizeof tv2;
	T(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	T(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv2, &l));
	printf("SO_RCVTIMEO %ld.%06ld len %u\n", (long)tv2.tv_sec, (long)tv2.tv_usec, l);
	tv.tv_usec = 2000000;
	T(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	struct linger lg = {1, 5}, lg2;
	l = sizeof lg2;
	T(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	T(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg2, &l));
	printf("SO_LINGER %d %d\n", lg2.l_onoff, lg2.l_linger);
	l = 2;
	T(getsockopt(s, SOL_SOCKET, SO_TYPE, &got, &l));
	printf("short SO_TYPE len %u\n", l);
	T(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
	T(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v));
	T(getsockopt(s, 9999, 1, &got, &l));
	T(close(s));

	/* A refused connection: a port that was just free. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	T(bind(s, (struct sockaddr *)&a, sizeof a));
	T(getsockname(s, (struct sockaddr *)&a, &al));
	printf("bound port nonzero: %s, len %u\n", a.sin_port ? "yes" : "no", al);
	int s2 = socket(AF_INET, SOCK_STREAM, 0);
	T(bind(s2, (struct sockaddr *)&a, sizeof a)); /* EADDRINUSE */
	close(s2);
	T(close(s));
	s = socket(AF_INET, SOCK_STREAM, 0);
	T(connect(s, (struct sockaddr *)&a, sizeof a)); /* ECONNREFUSED */
	T(close(s));
	/* Bad input. */
	T(socket(12345, SOCK_STREAM, 0));
	T(socket(AF_INET, 77, 0));
	T(socket(AF_INET, SOCK_STREAM | 0x1000, 0));
	s = socket(AF_INET, SOCK_STREAM, 0);
	T(bind(s, (struct sockaddr *)&a, 3));
	T(bind(s, (struct sockaddr *)&a, 1000));
	T(connect(s, (struct sockaddr *)1, sizeof a));
	T(listen(12345, 1));
	T(accept(0, 0, 0));
	T(close(s));

	pthread_t t;
	/* IPv4. */
	listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	T(bind(listener, (struct sockaddr *)&la, sizeof la));
	T(listen(listener, 8));
	pthread_create(&t, 0, server, 0);
	client(AF_INET, "127.0.0.1");
	client(AF_INET, "127.0.0.1 again");
	pthread_join(t, 0);
	close(listener);
	/* IPv6. */
	listener = socket(AF_INET6, SOCK_STREAM, 0);
	v = 1;
	T(setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
	l = sizeof got;
	T(getsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &got, &l));
	printf("IPV6_V6ONLY %d\n", got);
	struct sockaddr_in6 l6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	T(bind(listener, (struct sockaddr *)&l6, sizeof l6));
	T(listen(listener, 8));
	pthread_create(&t, 0, server, 0);
	client(AF_INET6, "::1");
	client(AF_INET6, "::1 again");
	pthread_join(t, 0);
	close(listener);
	return 0;
}
