/* AF_UNIX beyond path names: Linux's abstract names (stream and datagram, names reported by
 * getsockname/getpeername/accept/recvfrom, EADDRINUSE, freed on close), autobind, and
 * SO_PEERCRED on socketpairs and connected sockets, with a forked peer; the names of
 * path-bound sockets.
 *
 * Natively the abstract namespace is the host's, shared with whatever else runs: every name
 * here carries a token made from the pid, and printed names show it as "<T>". */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static char token[16];
static size_t token_len;

/* An abstract name "\0<base>.<token>" in *a; returns the address length. */
static socklen_t abstract(struct sockaddr_un *a, const char *base)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "%s.%s", base, token);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/* Prints an address as "len N [escaped path]", NUL as \0, the token as <T>. */
static void show(const char *what, const struct sockaddr_un *a, socklen_t len)
{
	printf("%s: len %u", what, (unsigned)len);
	if (len < offsetof(struct sockaddr_un, sun_path)) {
		printf("\n");
		return;
	}
	printf(" family %d [", a->sun_family);
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	for (size_t i = 0; i < n && i < sizeof a->sun_path; i++) {
		if (token_len && i + token_len <= n && !memcmp(a->sun_path + i, token, token_len)) {
			printf("<T>");
			i += token_len - 1;
			continue;
		}
		unsigned char c = a->sun_path[i];
		if (c == 0)
			printf("\\0");
		else if (c < 32 || c > 126)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("]\n");
}

static void name_of(const char *what, int fd, int peer)
{
	struct sockaddr_un a;
	memset(&a, 0x55, sizeof a);
	socklen_t l = sizeof a;
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &l) : getsockname(fd, (struct sockaddr *)&a, &l);
	if (r < 0) {
		printf("%s: -1 %s\n", what, errname(errno));
		return;
	}
	show(what, &a, l);
}

/* SO_PEERCRED of fd as relations to the given pid and to our own ids. */
static void peercred(const char *what, int fd, pid_t pid)
{
	struct ucred c;
	memset(&c, 0x55, sizeof c);
	socklen_t l = sizeof c;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) < 0) {
		printf("%s: -1 %s\n", what, errname(errno));
		return;
	}
	printf("%s: len %u pid%s uid%s gid%s\n", what, (unsigned)l,
	       c.pid == pid ? "==expected" : c.pid == 0 ? "=0" : "!=expected",
	       c.uid == getuid() ? "==getuid" : c.uid == (uid_t)-1 ? "=-1" : "!=getuid",
	       c.gid == getgid() ? "==getgid" : c.gid == (gid_t)-1 ? "=-1" : "!=getgid");
}

static void stream(void)
{
	printf("-- abstract stream\n");
	struct sockaddr_un a, b;
	socklen_t al = abstract(&a, "stream");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(l, (struct sockaddr *)&a, al));
	T(listen(l, 4));
	name_of("listener name", l, 0);
	/* Taken for this type; another type has its own names. */
	int again = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(again, (struct sockaddr *)&a, al));
	printf("errno %s\n", errno == EADDRINUSE ? "EADDRINUSE" : errname(errno));
	close(again);
	again = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	T(bind(again, (struct sockaddr *)&a, al));
	close(again);
	/* A bound socket cannot take a second name. */
	socklen_t bl = abstract(&b, "other");
	T(bind(l, (struct sockaddr *)&b, bl));

	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(cl, (struct sockaddr *)&a, al));
	struct sockaddr_un from;
	memset(&from, 0x55, sizeof from);
	socklen_t fl = sizeof from;
	int s = accept(l, (struct sockaddr *)&from, &fl);
	report_ok("accept", s);
	show("accept peer (unnamed client)", &from, fl);
	name_of("client name", cl, 0);
	name_of("client peer", cl, 1);
	name_of("accepted name", s, 0);
	name_of("accepted peer", s, 1);
	peercred("client SO_PEERCRED", cl, getpid());
	peercred("accepted SO_PEERCRED", s, getpid());
	T(write(cl, "ping", 4));
	char buf[32] = {0};
	T(read(s, buf, sizeof buf));
	T(write(s, "pong", 4));
	T(read(cl, buf + 4, sizeof buf - 4));
	printf("[%s]\n", buf);
	close(s);
	close(cl);

	/* A named client: accept reports its name. */
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(cl, (struct sockaddr *)&b, bl));
	T(connect(cl, (struct sockaddr *)&a, al));
	fl = sizeof from;
	s = accept(l, (struct sockaddr *)&from, &fl);
	show("accept peer (named client)", &from, fl);
	name_of("accepted peer", s, 1);
	close(s);
	close(cl);

	/* Closing the listener frees the name: no unlink, and connecting is refused. */
	close(l);
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(cl, (struct sockaddr *)&a, al));
	printf("errno %s\n", errno == ECONNREFUSED ? "ECONNREFUSED" : errname(errno));
	close(cl);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(l, (struct sockaddr *)&a, al));
	close(l);
	/* A name is not a file. */
	struct stat st;
	T(stat(a.sun_path + 1, &st));
}

static void dgram(void)
{
	printf("-- abstract datagram\n");
	struct sockaddr_un a, b;
	socklen_t al = abstract(&a, "dgram-server"), bl = abstract(&b, "dgram-client");
	int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(bind(srv, (struct sockaddr *)&a, al));
	int cl = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(bind(cl, (struct sockaddr *)&b, bl));
	T(sendto(cl, "one", 3, 0, (struct sockaddr *)&a, al));
	char buf[32] = {0};
	struct sockaddr_un from;
	memset(&from, 0x55, sizeof from);
	socklen_t fl = sizeof from;
	T(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("[%s]\n", buf);
	show("recvfrom", &from, fl);
	/* Reply to the name recvfrom gave. */
	T(sendto(srv, "two", 3, 0, (struct sockaddr *)&from, fl));
	memset(buf, 0, sizeof buf);
	T(recv(cl, buf, sizeof buf, 0));
	printf("[%s]\n", buf);
	/* connect + send; recvmsg reports the name too. */
	T(connect(cl, (struct sockaddr *)&a, al));
	name_of("client peer", cl, 1);
	T(send(cl, "three", 5, 0));
	struct iovec iov = {buf, sizeof buf};
	memset(&from, 0x55, sizeof from);
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
	T(recvmsg(srv, &m, 0));
	show("recvmsg", &from, m.msg_namelen);
	/* An unbound sender has no name. */
	int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(sendto(anon, "four", 4, 0, (struct sockaddr *)&a, al));
	fl = sizeof from;
	T(recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("unbound sender: len %u\n", (unsigned)fl);
	close(anon);
	/* Sending to a name nobody holds. */
	close(srv);
	T(sendto(cl, "x", 1, 0, (struct sockaddr *)&a, al));
	printf("errno %s\n", errno == ECONNREFUSED ? "ECONNREFUSED" : errname(errno));
	close(cl);

	/* Names are bytes: an embedded NUL, and no terminating one. */
	struct sockaddr_un odd = {.sun_family = AF_UNIX};
	memcpy(odd.sun_path, "\0x\0y", 4);
	memcpy(odd.sun_path + 4, token, token_len);
	socklen_t ol = offsetof(struct sockaddr_un, sun_path) + 4 + token_len;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(bind(s, (struct sockaddr *)&odd, ol));
	name_of("embedded NUL", s, 0);
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(sendto(t, "odd", 3, 0, (struct sockaddr *)&odd, ol));
	memset(buf, 0, sizeof buf);
	T(recv(s, buf, sizeof buf, 0));
	printf("[%s]\n", buf);
	close(t);
	close(s);
	/* Longer than sockaddr_un: EINVAL. */
	char big[sizeof(struct sockaddr_un) + 8] = {0};
	((struct sockaddr_un *)big)->sun_family = AF_UNIX;
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(bind(s, (struct sockaddr *)big, sizeof big));
	close(s);
}

static void autobind(void)
{
	printf("-- autobind\n");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	T(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	socklen_t l = sizeof a;
	memset(&a, 0x55, sizeof a);
	T(getsockname(s, (struct sockaddr *)&a, &l));
	int hex = 1;
	for (size_t i = 1; i + offsetof(struct sockaddr_un, sun_path) < l; i++)
		hex &= (a.sun_path[i] >= '0' && a.sun_path[i] <= '9') || (a.sun_path[i] >= 'a' && a.sun_path[i] <= 'f');
	printf("len %u first byte %d rest hex %d\n", (unsigned)l, a.sun_path[0], hex);
	/* The name reaches the socket. */
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	T(sendto(t, "auto", 4, 0, (struct sockaddr *)&a, l));
	char buf[8] = {0};
	T(recv(s, buf, sizeof buf, 0));
	printf("[%s]\n", buf);
	/* Bound already: an autobind does nothing (another name would be EINVAL). */
	struct sockaddr_un b = {.sun_family = AF_UNIX};
	T(bind(s, (struct sockaddr *)&b, sizeof(sa_family_t)));
	/* Two autobinds give two names. */
	T(bind(t, (struct sockaddr *)&b, sizeof(sa_family_t)));
	struct sockaddr_un c;
	socklen_t cl = sizeof c;
	T(getsockname(t, (struct sockaddr *)&c, &cl));
	printf("different: %d\n", cl != l || memcmp(&a, &c, l) != 0);
	/* connect with the family alone is not an autobind. */
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(u, (struct sockaddr *)&b, sizeof(sa_family_t)));
	close(u);
	close(t);
	close(s);
}

static void creds(void)
{
	printf("-- SO_PEERCRED\n");
	int sv[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	peercred("stream pair [0]", sv[0], getpid());
	peercred("stream pair [1]", sv[1], getpid());
	/* A short buffer gets what fits. */
	struct ucred c;
	socklen_t l = sizeof(int);
	T(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &c, &l));
	printf("short: len %u pid==getpid %d\n", (unsigned)l, c.pid == getpid());
	close(sv[0]);
	close(sv[1]);
	T(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	peercred("seqpacket pair", sv[1], getpid());
	close(sv[0]);
	close(sv[1]);
	T(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	peercred("dgram pair", sv[1], getpid());
	close(sv[0]);
	close(sv[1]);
	/* No peer: pid 0, uid and gid -1. */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	peercred("unconnected", s, -1);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	peercred("inet", s, -1);
	close(s);

	/* A forked client: each side sees the other process. */
	struct sockaddr_un a;
	socklen_t al = abstract(&a, "creds");
	int lst = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(lst, (struct sockaddr *)&a, al));
	T(listen(lst, 4));
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		int cl = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(cl, (struct sockaddr *)&a, al) < 0)
			_exit(10);
		struct ucred pc;
		socklen_t pl = sizeof pc;
		if (getsockopt(cl, SOL_SOCKET, SO_PEERCRED, &pc, &pl) < 0)
			_exit(11);
		char ok = pc.pid == parent && pc.pid == getppid() && pc.uid == getuid() && pc.gid == getgid() ? 'y' : 'n';
		write(cl, &ok, 1);
		read(cl, &ok, 1);
		_exit(0);
	}
	int srv = accept(lst, 0, 0);
	report_ok("accept from child", srv);
	peercred("accepted from child", srv, child);
	char ok = '?';
	T(read(srv, &ok, 1));
	printf("child saw parent as peer: %c\n", ok);
	T(write(srv, "k", 1));
	int st = 0;
	T(waitpid(child, &st, 0) == child);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(srv);

	/* A path-named listener in the working directory, the same way. */
	unlink("peercred.sock");
	struct sockaddr_un p = {.sun_family = AF_UNIX};
	strcpy(p.sun_path, "peercred.sock");
	int pl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(bind(pl, (struct sockaddr *)&p, sizeof p));
	T(listen(pl, 4));
	name_of("path listener name", pl, 0);
	child = fork();
	if (child == 0) {
		int cl = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(cl, (struct sockaddr *)&p, sizeof p) < 0)
			_exit(10);
		struct ucred pc;
		socklen_t len = sizeof pc;
		if (getsockopt(cl, SOL_SOCKET, SO_PEERCRED, &pc, &len) < 0)
			_exit(11);
		/* Open until the parent has looked (rumplx finds the accepted side's peer only while
		 * it lives: see the getsockopt row of the compatibility matrix). */
		char c;
		read(cl, &c, 1);
		_exit(pc.pid == getppid() ? 0 : 12);
	}
	srv = accept(pl, 0, 0);
	peercred("path: accepted from child", srv, child);
	close(srv);
	T(waitpid(child, &st, 0) == child);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	/* Names of path-bound sockets are the paths they were bound with. */
	int pc = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(pc, (struct sockaddr *)&p, sizeof p));
	name_of("path: client peer", pc, 1);
	srv = accept(pl, 0, 0);
	name_of("path: accepted name", srv, 0);
	close(srv);
	close(pc);
	close(pl);
	close(lst);
	T(unlink("peercred.sock"));
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	/* Fixed width: the printed lengths must not depend on the pid. */
	token_len = snprintf(token, sizeof token, "%08x", (unsigned)getpid() * 2654435761u);
	stream();
	dgram();
	autobind();
	creds();
	return 0;
}
