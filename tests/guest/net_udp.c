/* UDP round trips over 127.0.0.1 and ::1: sendto/recvfrom with addresses, sendmsg/recvmsg with
 * iovecs, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, connected sockets, sendmmsg/recvmmsg. */
#include "common.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static void round_trip(int family)
{
	printf("-- family %s\n", family == AF_INET ? "inet" : "inet6");
	struct sockaddr_storage a = {0}, b = {0};
	socklen_t alen, blen;
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&a;
		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		alen = sizeof *s;
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a;
		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		alen = sizeof *s;
	}
	b = a;
	blen = alen;
	int x = socket(family, SOCK_DGRAM, 0), y = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	T(bind(x, (struct sockaddr *)&a, alen));
	T(bind(y, (struct sockaddr *)&b, blen));
	T(getsockname(x, (struct sockaddr *)&a, &alen));
	T(getsockname(y, (struct sockaddr *)&b, &blen));
	char buf[256];
	T(recv(y, buf, sizeof buf, 0)); /* EAGAIN: nonblocking and empty */
	T(recv(x, buf, sizeof buf, MSG_DONTWAIT));
	T(sendto(x, "ping", 4, 0, (struct sockaddr *)&b, blen));
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	/* wait for it: a blocking peek on the sender side's peer */
	int fl_ = fcntl(y, F_GETFL);
	fcntl(y, F_SETFL, fl_ & ~O_NONBLOCK);
	T(recv(y, buf, 2, MSG_PEEK));
	T(recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("[%.4s] from the sender: %s (len %u)\n", buf, fl == alen && memcmp(&from, &a, alen) == 0 ? "yes" : "no", fl);
	/* Truncation: recvmsg reports MSG_TRUNC and the name. */
	T(sendto(x, "0123456789", 10, 0, (struct sockaddr *)&b, blen));
	char p1[3], p2[3];
	struct iovec iov[2] = {{p1, 3}, {p2, 3}};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = iov, .msg_iovlen = 2};
	T(recvmsg(y, &m, 0));
	printf("[%.3s|%.3s] flags trunc=%d namelen ok=%d\n", p1, p2, !!(m.msg_flags & MSG_TRUNC), m.msg_namelen == alen);
	/* A short name buffer: cut, full length reported. */
	T(sendto(x, "abc", 3, 0, (struct sockaddr *)&b, blen));
	fl = 4;
	memset(&from, 0xaa, sizeof from);
	T(recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("short name: len %u, family kept %d, rest untouched %d\n", fl, from.ss_family == family, ((unsigned char *)&from)[4] == 0xaa);
	/* Connected: send/recv without names, and a reply. */
	T(connect(x, (struct sockaddr *)&b, blen));
	T(send(x, "hello", 5, 0));
	fl = sizeof from;
	T(recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	T(sendto(y, "world", 5, 0, (struct sockaddr *)&from, fl));
	T(recv(x, buf, sizeof buf, 0));
	printf("[%.5s]\n", buf);
	/* sendmmsg / recvmmsg */
	struct mmsghdr mm[3];
	struct iovec mi[3];
	char *words[3] = {"one", "three", "seven"};
	for (int i = 0; i < 3; i++) {
		mi[i].iov_base = words[i];
		mi[i].iov_len = strlen(words[i]);
		memset(&mm[i], 0, sizeof mm[i]);
		mm[i].msg_hdr.msg_iov = &mi[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	T(sendmmsg(x, mm, 3, 0));
	printf("msg_len %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	char rb[3][16];
	for (int i = 0; i < 3; i++) {
		mi[i].iov_base = rb[i];
		mi[i].iov_len = sizeof rb[i];
	}
	int got = 0;
	while (got < 3) {
		int r = recvmmsg(y, mm + got, 3 - got, MSG_WAITFORONE, 0);
		if (r <= 0) { printf("recvmmsg: %s\n", errname(errno)); break; }
		got += r;
	}
	for (int i = 0; i < got; i++)
		printf("got [%.*s]\n", (int)mm[i].msg_len, rb[i]);
	/* recvmmsg's timeout is looked at after each datagram: a tiny one ends the batch after the
	 * first; the time left is written back; a bad one is EINVAL. */
	for (int i = 0; i < 3; i++) {
		mi[i].iov_base = words[i];
		mi[i].iov_len = strlen(words[i]);
	}
	T(sendmmsg(x, mm, 3, 0));
	for (int i = 0; i < 3; i++) {
		mi[i].iov_base = rb[i];
		mi[i].iov_len = sizeof rb[i];
	}
	struct timespec tiny = {0, 1}, ample = {5, 0}, bad = {0, -1};
	T(recvmmsg(y, mm, 3, 0, &tiny));
	printf("tiny timeout: got [%.*s], left %lld.%09ld\n", (int)mm[0].msg_len, rb[0], (long long)tiny.tv_sec, tiny.tv_nsec);
	T(recvmmsg(y, mm, 3, MSG_DONTWAIT, &ample));
	printf("ample timeout: less than 5 s left: %s\n", ample.tv_sec < 5 ? "yes" : "no");
	T(recvmmsg(y, mm, 3, MSG_DONTWAIT, &bad));
	/* A connected UDP socket whose peer is gone: ECONNREFUSED on a later call. */
	close(y);
	T(send(x, "lost", 4, 0));
	usleep(20000);
	T(recv(x, buf, sizeof buf, MSG_DONTWAIT));
	int err = -1;
	socklen_t el = sizeof err;
	T(getsockopt(x, SOL_SOCKET, SO_ERROR, &err, &el));
	printf("SO_ERROR %s\n", errname(err));
	close(x);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	round_trip(AF_INET);
	round_trip(AF_INET6);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	T(sendto(s, "x", 1, 0, 0, 0)); /* no destination */
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	T(sendto(s, "x", 1, 0, (struct sockaddr *)&a6, sizeof a6)); /* wrong family */
	close(s);
	return 0;
}
