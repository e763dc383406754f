/* AF_UNIX: stream, datagram and seqpacket socketpairs; SCM_RIGHTS passing a pipe; a path-named
 * stream listener in the working directory; bad names. */
#include "common.h"
#include <sys/socket.h>
#include <signal.h>
#include <stddef.h>
#include <sys/un.h>

static void pair(int type, const char *label)
{
	printf("-- %s\n", label);
	int sv[2];
	T(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv));
	T(fcntl(sv[0], F_GETFD));
	T(write(sv[0], "abc", 3));
	T(write(sv[0], "defg", 4));
	char buf[16] = {0};
	T(read(sv[1], buf, sizeof buf));
	printf("[%s]\n", buf);
	int t = 0;
	socklen_t l = sizeof t;
	T(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &t, &l));
	printf("SO_TYPE %d\n", t);
	struct sockaddr_un n;
	l = sizeof n;
	T(getsockname(sv[0], (struct sockaddr *)&n, &l));
	printf("unnamed: len %u family %d\n", l, n.sun_family);
	T(shutdown(sv[0], SHUT_WR));
	if (type == SOCK_STREAM) {
		T(read(sv[1], buf, sizeof buf)); /* the rest */
		T(read(sv[1], buf, sizeof buf)); /* EOF */
	}
	close(sv[0]);
	close(sv[1]);
}

static volatile int caught;
static void on_pipe(int s) { caught = s; }

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	pair(SOCK_STREAM, "stream");
	pair(SOCK_DGRAM, "dgram");
	pair(SOCK_SEQPACKET, "seqpacket");

	/* SCM_RIGHTS: pass the read end of a pipe. */
	printf("-- rights\n");
	int sv[2], p[2];
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	T(pipe(p));
	T(write(p[1], "through the pipe", 16));
	char data = 'x';
	struct iovec iov = {&data, 1};
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[0], sizeof(int));
	T(sendmsg(sv[0], &m, 0));
	close(p[0]);
	memset(&u, 0, sizeof u);
	struct msghdr r = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
	T(recvmsg(sv[1], &r, MSG_CMSG_CLOEXEC));
	c = CMSG_FIRSTHDR(&r);
	printf("controllen %zu, level %d type %d len %zu\n", (size_t)r.msg_controllen, c ? c->cmsg_level : -1, c ? c->cmsg_type : -1, c ? (size_t)c->cmsg_len : 0);
	int got = -1;
	if (c)
		memcpy(&got, CMSG_DATA(c), sizeof got);
	char buf[64] = {0};
	T(read(got, buf, sizeof buf));
	printf("[%s] cloexec %d\n", buf, fcntl(got, F_GETFD));
	/* A control buffer too small: MSG_CTRUNC. */
	T(pipe(p));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &p[0], sizeof(int));
	m.msg_control = u.b;
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[0], sizeof(int));
	T(sendmsg(sv[0], &m, 0));
	char small[8];
	struct msghdr r2 = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = small, .msg_controllen = sizeof small};
	T(recvmsg(sv[1], &r2, 0));
	printf("ctrunc %d controllen %zu\n", !!(r2.msg_flags & MSG_CTRUNC), (size_t)r2.msg_controllen);
	close(sv[0]);
	close(sv[1]);

	/* A named stream socket in the working directory. */
	printf("-- named\n");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "sock");
	T(bind(l, (struct sockaddr *)&a, sizeof a));
	T(bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, sizeof a)); /* EADDRINUSE */
	struct stat st;
	T(stat("sock", &st));
	printf("is a socket: %d\n", S_ISSOCK(st.st_mode));
	T(listen(l, 4));
	int cl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(cl, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 5));
	int s = accept(l, 0, 0);
	T(write(cl, "over the name", 13));
	memset(buf, 0, sizeof buf);
	T(read(s, buf, sizeof buf));
	printf("[%s]\n", buf);
	close(s);
	close(cl);
	close(l);
	T(unlink("sock"));

	/* Writing to a socket whose peer is gone: EPIPE, and SIGPIPE unless MSG_NOSIGNAL. */
	printf("-- broken\n");
	T(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	T(send(sv[0], "x", 1, MSG_NOSIGNAL));
	signal(SIGPIPE, SIG_IGN);
	T(write(sv[0], "x", 1));
	signal(SIGPIPE, on_pipe);
	T(write(sv[0], "x", 1));
	printf("handler saw signal %d\n", caught);
	close(sv[0]);
	strcpy(a.sun_path, "missing");
	cl = socket(AF_UNIX, SOCK_STREAM, 0);
	T(connect(cl, (struct sockaddr *)&a, sizeof a)); /* ENOENT */
	T(connect(cl, (struct sockaddr *)&a, 1)); /* EINVAL */
	close(cl);
	return 0;
}
