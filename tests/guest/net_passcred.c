/* SO_PASSCRED and SCM_CREDENTIALS on AF_UNIX sockets: the option's round trip; credentials of
 * the parent and of a forked child on datagram and stream socketpairs; a stream read stops where
 * the sender changes (only with SO_PASSCRED on the reader); credentials attached when either end
 * had the option at send time; MSG_PEEK; no control buffer (MSG_CTRUNC); explicit
 * SCM_CREDENTIALS (own ids accepted; others EPERM, or for root another live pid accepted and a
 * missing one ESRCH); autobind of a sender or connecting socket with SO_PASSCRED; an accepted
 * connection; a child's blocking writes, stream and datagram. Pids are never printed, only compared with the expected sender's. */
#include "common.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <stddef.h>

struct got {
	int n;
	int has;
	struct ucred c;
	int flags;
	socklen_t namelen;
};

static struct got rx(int s, char *buf, size_t len, int flags, int control)
{
	struct got g;
	memset(&g, 0, sizeof g);
	struct iovec iov = {buf, len};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16)];
	} u;
	memset(&u, 0, sizeof u);
	struct sockaddr_un from;
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_name = &from;
	m.msg_namelen = sizeof from;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (control) {
		m.msg_control = u.b;
		m.msg_controllen = sizeof u.b;
	}
	g.n = recvmsg(s, &m, flags);
	if (g.n < 0) {
		g.n = -errno;
		return g;
	}
	g.flags = m.msg_flags;
	g.namelen = m.msg_namelen;
	for (struct cmsghdr *c = control ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&g.c, CMSG_DATA(c), sizeof g.c);
			g.has++;
		}
	}
	return g;
}

static const char *rel_pid(pid_t got, pid_t want)
{
	return got == want ? "ok" : got == 0 ? "0" : "WRONG";
}

static const char *rel_id(unsigned got, unsigned want)
{
	return got == want ? "ok" : got == 65534 ? "overflow" : "WRONG";
}

static void show(const char *what, struct got g, pid_t want)
{
	if (g.n < 0) {
		printf("%s: %s\n", what, errname(-g.n));
		return;
	}
	printf("%s: %d bytes, %d creds", what, g.n, g.has);
	if (g.has)
		printf(" (pid %s uid %s gid %s)", rel_pid(g.c.pid, want), rel_id(g.c.uid, getuid()),
		       rel_id(g.c.gid, getgid()));
	printf("%s\n", g.flags & MSG_CTRUNC ? " MSG_CTRUNC" : "");
}

static int tx_creds(int s, const char *data, size_t len, pid_t pid, uid_t uid, gid_t gid)
{
	struct ucred uc = {pid, uid, gid};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} u;
	memset(&u, 0, sizeof u);
	struct iovec iov = {(void *)data, len};
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof u.b;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof uc);
	memcpy(CMSG_DATA(c), &uc, sizeof uc);
	return sendmsg(s, &m, 0);
}

static void setpc(int s, int v)
{
	if (setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof v) < 0)
		printf("setsockopt SO_PASSCRED %d: %s\n", v, errname(errno));
}

static int getpc(int s)
{
	int v = -1;
	socklen_t l = sizeof v;
	if (getsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, &l) < 0)
		return -errno;
	return v;
}

/* Forks a child that writes `data` on `s` and exits; returns its pid once it is done. */
static pid_t child_sends(int s, const char *data, size_t len)
{
	pid_t p = fork();
	if (p == 0) {
		_exit(write(s, data, len) == (ssize_t)len ? 0 : 1);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("child send failed\n");
	return p;
}

static void options(void)
{
	printf("-- options\n");
	int sv[2];
	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	printf("default %d\n", getpc(sv[0]));
	setpc(sv[0], 1);
	printf("after 1: %d\n", getpc(sv[0]));
	setpc(sv[0], 0);
	printf("after 0: %d\n", getpc(sv[0]));
	setpc(sv[0], 5);
	printf("after 5: %d\n", getpc(sv[0]));
	short sh = 1;
	T(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &sh, sizeof sh));
	char c = 9;
	socklen_t l = 1;
	T(getsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &c, &l));
	printf("one byte: %d len %u\n", c, l);
	printf("other end %d\n", getpc(sv[1]));
	close(sv[0]);
	close(sv[1]);
	/* Linux before 6.16 takes it on any socket; later ones only on unix (and netlink, bluetooth). */
	int in = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	int r = setsockopt(in, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	int e = errno;
	int g = getpc(in);
	printf("inet: set %s get %s\n", r ? errname(e) : "OK", g < 0 ? errname(-g) : g == 1 ? "1" : "0");
	close(in);
}

static void dgram(void)
{
	printf("-- dgram\n");
	int sv[2];
	char buf[64];
	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	setpc(sv[1], 1);
	T(write(sv[0], "parent", 6));
	pid_t kid = child_sends(sv[0], "child!!", 7);
	show("first", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	show("second", rx(sv[1], buf, sizeof buf, 0, 1), kid);
	/* MSG_PEEK leaves the message (and its credentials) in place. */
	T(write(sv[0], "x", 1));
	show("peek", rx(sv[1], buf, sizeof buf, MSG_PEEK, 1), getpid());
	show("read", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	/* No control buffer: the credentials are cut off. */
	T(write(sv[0], "y", 1));
	show("no control", rx(sv[1], buf, sizeof buf, 0, 0), getpid());
	/* The receiver lets go: no credentials. */
	setpc(sv[1], 0);
	T(write(sv[0], "z", 1));
	show("receiver off", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	/* Only the sender has it: attached (and the sender autobinds), read once the receiver has
	 * it. A message sent when neither had it reads as no credentials. */
	struct sockaddr_un n;
	socklen_t l = sizeof n;
	T(getsockname(sv[0], (struct sockaddr *)&n, &l));
	printf("sender name before: len %u\n", l);
	setpc(sv[0], 1);
	T(write(sv[0], "a", 1));
	l = sizeof n;
	T(getsockname(sv[0], (struct sockaddr *)&n, &l));
	printf("sender name after: len %u abstract %d\n", l, l > 2 && n.sun_path[0] == 0);
	setpc(sv[0], 0);
	T(write(sv[0], "b", 1));
	setpc(sv[1], 1);
	struct got g = rx(sv[1], buf, sizeof buf, 0, 1);
	show("sender had it", g, getpid());
	printf("from: len %u\n", g.namelen);
	show("neither had it", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	close(sv[0]);
	close(sv[1]);
}

static void stream(void)
{
	printf("-- stream\n");
	int sv[2];
	char buf[256];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	setpc(sv[1], 1);
	T(write(sv[0], "0123456789", 10));
	pid_t kid = child_sends(sv[0], "abcdefghijklmnopqrst", 20);
	T(write(sv[0], "ABCDE", 5));
	/* A read stops where the sender changes. */
	T(read(sv[1], buf, sizeof buf));
	show("child's", rx(sv[1], buf, sizeof buf, 0, 1), kid);
	show("parent's again", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	/* Small reads take a run in pieces, each with the run's credentials. */
	T(write(sv[0], "0123456789", 10));
	kid = child_sends(sv[0], "abcdefghijklmnopqrst", 20);
	show("piece 1", rx(sv[1], buf, 4, 0, 1), getpid());
	show("peek", rx(sv[1], buf, sizeof buf, MSG_PEEK, 1), getpid());
	show("piece 2", rx(sv[1], buf, sizeof buf, MSG_WAITALL, 1), getpid());
	show("piece 3", rx(sv[1], buf, 15, 0, 1), kid);
	show("piece 4", rx(sv[1], buf, sizeof buf, 0, 1), kid);
	/* Without the option on the reader, writers are glued (the sender's option attaches
	 * credentials, which the reader does not see). */
	setpc(sv[1], 0);
	setpc(sv[0], 1);
	T(write(sv[0], "0123456789", 10));
	child_sends(sv[0], "abcdefghijklmnopqrst", 20);
	show("glued", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	close(sv[0]);
	close(sv[1]);
}

static void explicit(void)
{
	printf("-- explicit\n");
	int sv[2];
	char buf[64];
	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	setpc(sv[1], 1);
	T(tx_creds(sv[0], "own", 3, getpid(), getuid(), getgid()));
	show("own ids", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	T(tx_creds(sv[0], "bad", 3, getpid(), (uid_t)-1, getgid()));
	T(tx_creds(sv[0], "bad", 3, getpid(), getuid(), (gid_t)-1));
	/* A child that waits, so its pid exists. */
	int p[2];
	T(pipe(p));
	pid_t kid = fork();
	if (kid == 0) {
		close(p[1]);
		char c;
		_exit(read(p[0], &c, 1) < 0);
	}
	close(p[0]);
	if (geteuid() == 0) {
		printf("root:\n");
		T(tx_creds(sv[0], "kid", 3, kid, getuid(), getgid()));
		show("child's pid", rx(sv[1], buf, sizeof buf, 0, 1), kid);
		T(tx_creds(sv[0], "none", 4, 0x3ffffff0, getuid(), getgid()));
		T(tx_creds(sv[0], "uid", 3, getpid(), getuid() + 4321, getgid()));
		show("other uid", rx(sv[1], buf, sizeof buf, 0, 1), getpid());
	} else {
		printf("not root:\n");
		T(tx_creds(sv[0], "kid", 3, kid, getuid(), getgid()));
		T(tx_creds(sv[0], "uid", 3, getpid(), getuid() + 4321, getgid()));
		T(tx_creds(sv[0], "gid", 3, getpid(), getuid(), getgid() + 4321));
	}
	close(p[1]);
	waitpid(kid, NULL, 0);
	/* Explicit credentials on a stream, to a reader without the option, which then sets it. */
	int ss[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, ss));
	T(tx_creds(ss[0], "explicit", 8, getpid(), getuid(), getgid()));
	T(write(ss[0], "plain", 5));
	setpc(ss[1], 1);
	show("stream explicit", rx(ss[1], buf, sizeof buf, 0, 1), getpid());
	show("stream plain", rx(ss[1], buf, sizeof buf, 0, 1), getpid());
	close(ss[0]);
	close(ss[1]);
	close(sv[0]);
	close(sv[1]);
}

static void connected(void)
{
	printf("-- connected\n");
	struct sockaddr_un a;
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "rumplx-passcred-%d", getpid());
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + len;
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(l, (struct sockaddr *)&a, alen));
	T(listen(l, 4));
	setpc(l, 1);
	/* A client with the option is bound to a name when it connects. */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	setpc(c, 1);
	T(connect(c, (struct sockaddr *)&a, alen));
	struct sockaddr_un n;
	socklen_t nl = sizeof n;
	T(getsockname(c, (struct sockaddr *)&n, &nl));
	printf("client name: len %u abstract %d\n", nl, nl > 2 && n.sun_path[0] == 0);
	int s = accept(l, NULL, NULL);
	printf("accepted inherits: %d\n", getpc(s));
	setpc(s, 1);
	char buf[64];
	T(write(c, "hello", 5));
	pid_t kid = child_sends(c, "from the child", 14);
	show("client", rx(s, buf, sizeof buf, 0, 1), getpid());
	show("client's child", rx(s, buf, sizeof buf, 0, 1), kid);
	/* The other way. */
	T(write(s, "back", 4));
	show("to a client with the option", rx(c, buf, sizeof buf, 0, 1), getpid());
	close(c);
	close(s);
	/* A client without the option writes before its connection is accepted by a listener
	 * with it: the accepted socket has the option and the bytes their sender. */
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(c, (struct sockaddr *)&a, alen));
	nl = sizeof n;
	T(getsockname(c, (struct sockaddr *)&n, &nl));
	printf("plain client name: len %u\n", nl);
	T(write(c, "early", 5));
	s = accept(l, NULL, NULL);
	printf("accepted inherits: %d\n", getpc(s));
	show("before accept", rx(s, buf, sizeof buf, 0, 1), getpid());
	T(write(c, "again", 5));
	kid = child_sends(c, "child after", 11);
	show("after accept", rx(s, buf, sizeof buf, 0, 1), getpid());
	show("child after accept", rx(s, buf, sizeof buf, 0, 1), kid);
	close(c);
	close(s);
	/* Datagrams to a named socket. */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(bind(d, (struct sockaddr *)&a, alen));
	setpc(d, 1);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(sendto(u, "to", 2, 0, (struct sockaddr *)&a, alen));
	struct got g = rx(d, buf, sizeof buf, 0, 1);
	show("sendto", g, getpid());
	printf("from: len %u\n", g.namelen);
	kid = fork();
	if (kid == 0)
		_exit(sendto(u, "kid", 3, 0, (struct sockaddr *)&a, alen) != 3);
	waitpid(kid, NULL, 0);
	show("sendto from child", rx(d, buf, sizeof buf, 0, 1), kid);
	T(connect(u, (struct sockaddr *)&a, alen));
	T(send(u, "conn", 4, 0));
	show("connected dgram", rx(d, buf, sizeof buf, 0, 1), getpid());
	close(u);
	close(d);
	close(l);
}

/* Credentials and descriptors in one message: SCM_CREDENTIALS first, then SCM_RIGHTS. */
static void with_rights(void)
{
	printf("-- with rights\n");
	int sv[2], p[2];
	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	T(pipe(p));
	setpc(sv[1], 1);
	char data = 'r';
	struct iovec iov = {&data, 1};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr m;
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = CMSG_SPACE(sizeof(int));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	T(sendmsg(sv[0], &m, 0));
	memset(&u, 0, sizeof u);
	m.msg_controllen = sizeof u.b;
	T(recvmsg(sv[1], &m, 0));
	int i = 0;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), i++) {
		if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof uc);
			printf("%d: SCM_CREDENTIALS pid %s\n", i, rel_pid(uc.pid, getpid()));
		} else if (c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof fd);
			printf("%d: SCM_RIGHTS, the pipe: %d\n", i, write(fd, "w", 1) == 1);
			close(fd);
		}
	}
	/* Room for part of the credentials: cut short, MSG_CTRUNC. */
	T(sendmsg(sv[0], &(struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
	                                  .msg_controllen = 0}, 0));
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = CMSG_SPACE(sizeof(struct ucred)) - 8;
	T(recvmsg(sv[1], &m, 0));
	printf("short control: len %zu ctrunc %d\n", (size_t)m.msg_controllen, !!(m.msg_flags & MSG_CTRUNC));
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* A child's writes that block (more than the socket holds), read with the option on: every
 * byte and every datagram carries the child's credentials, in order. */
static void blocking(void)
{
	printf("-- blocking\n");
	static char big[300000];
	int sv[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	setpc(sv[1], 1);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7);
	pid_t kid = fork();
	if (kid == 0)
		_exit(write(sv[0], big, sizeof big) != sizeof big);
	static char in[sizeof big];
	size_t got = 0;
	int wrong = 0, reads = 0;
	while (got < sizeof big) {
		struct got g = rx(sv[1], in + got, sizeof in - got, 0, 1);
		if (g.n <= 0)
			break;
		if (!g.has || g.c.pid != kid)
			wrong++;
		got += g.n;
		reads++;
	}
	int st;
	waitpid(kid, &st, 0);
	printf("stream: %zu bytes, same %d, %s credentials, child %s\n", got,
	       memcmp(in, big, sizeof big) == 0, wrong ? "WRONG" : "child's",
	       WIFEXITED(st) && !WEXITSTATUS(st) ? "ok" : "failed");
	close(sv[0]);
	close(sv[1]);

	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	setpc(sv[1], 1);
	kid = fork();
	if (kid == 0) {
		char m[2000];
		for (int i = 0; i < 400; i++) {
			memset(m, i, sizeof m);
			if (write(sv[0], m, sizeof m) != sizeof m)
				_exit(1);
		}
		_exit(0);
	}
	int n = 0, order = 1;
	wrong = 0;
	for (; n < 400; n++) {
		char m[2000];
		struct got g = rx(sv[1], m, sizeof m, 0, 1);
		if (g.n != sizeof m)
			break;
		if (!g.has || g.c.pid != kid)
			wrong++;
		if (m[0] != (char)n)
			order = 0;
	}
	waitpid(kid, &st, 0);
	printf("dgram: %d messages, in order %d, %s credentials, child %s\n", n, order,
	       wrong ? "WRONG" : "child's", WIFEXITED(st) && !WEXITSTATUS(st) ? "ok" : "failed");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	options();
	dgram();
	stream();
	explicit();
	connected();
	with_rights();
	blocking();
	return 0;
}
