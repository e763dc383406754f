/* signalfd: blocked signals read as signalfd_siginfo records (raise, kill, sigqueue values, real-time
 * queues), EAGAIN when none, readiness in poll, select and epoll before and after, mask updates,
 * the error cases, a blocking read and an epoll wait woken by another thread, and a child process
 * that reads its own signal through the inherited descriptor and signals the parent. */
#include "common.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>

static int rd(int fd, int records)
{
	struct signalfd_siginfo si[4];
	memset(si, 0, sizeof si);
	ssize_t r = read(fd, si, sizeof si[0] * records);
	if (r < 0) {
		printf("  read: %s\n", errname(errno));
		return -1;
	}
	printf("  read %ld bytes\n", (long)r);
	for (int i = 0; i < r / (long)sizeof si[0]; i++) {
		int sig = si[i].ssi_signo;
		char name[16];
		if (sig >= SIGRTMIN)
			snprintf(name, sizeof name, "RTMIN+%d", sig - SIGRTMIN);
		else
			snprintf(name, sizeof name, "%d", sig);
		printf("  signo %s code %d pid_is_self %d uid_is_self %d int %d ptr %llu\n", name, si[i].ssi_code,
		       si[i].ssi_pid == (uint32_t)getpid(), si[i].ssi_uid == (uint32_t)getuid(), si[i].ssi_int,
		       (unsigned long long)si[i].ssi_ptr);
	}
	return r > 0 ? (int)si[0].ssi_signo : 0;
}

static void ready(const char *what, int fd, int ep)
{
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	int n = poll(&p, 1, 0);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	struct timeval tv = {0, 0};
	int s = select(fd + 1, &rs, 0, 0, &tv);
	struct epoll_event out[2];
	int e = ep >= 0 ? epoll_wait(ep, out, 2, 0) : -2;
	printf("  %s: poll %d revents %#x select %d epoll %d", what, n, p.revents, s, e);
	if (e > 0)
		printf(" events %#x data %llu", out[0].events, (unsigned long long)out[0].data.u64);
	printf("\n");
}

static void *send_later(void *arg)
{
	usleep(100 * 1000);
	kill(getpid(), (int)(long)arg);
	return 0;
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &m, 0);

	printf("-- create\n");
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR1);
	int sfd = signalfd(-1, &one, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("  fd ok %d\n", sfd >= 0);
	T(fcntl(sfd, F_GETFD));
	T(fcntl(sfd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	struct stat st;
	T(fstat(sfd, &st));
	printf("  mode %#o\n", (unsigned)st.st_mode);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
	T(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev));
	rd(sfd, 1);
	ready("empty", sfd, ep);

	printf("-- raise\n");
	T(raise(SIGUSR1));
	ready("pending", sfd, ep);
	char small[100];
	T(read(sfd, small, sizeof small));
	rd(sfd, 1);
	ready("taken", sfd, ep);
	rd(sfd, 1);

	printf("-- kill and sigqueue\n");
	T(kill(getpid(), SIGUSR1));
	rd(sfd, 4);
	union sigval v = {.sival_int = 42};
	T(sigqueue(getpid(), SIGUSR1, v));
	rd(sfd, 4);

	printf("-- not in the mask, then added\n");
	T(raise(SIGUSR2));
	ready("usr2 pending", sfd, ep);
	rd(sfd, 1);
	sigset_t two = one;
	sigaddset(&two, SIGUSR2);
	sigaddset(&two, SIGKILL);
	sigaddset(&two, SIGSTOP);
	printf("  update returns same fd %d\n", signalfd(sfd, &two, 0) == sfd);
	ready("after update", sfd, ep);
	T(raise(SIGUSR1));
	rd(sfd, 4);
	sigset_t pend;
	sigpending(&pend);
	printf("  still pending usr1 %d usr2 %d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2));

	printf("-- readv and dup\n");
	T(raise(SIGUSR2));
	struct signalfd_siginfo si;
	struct iovec iov[2] = {{&si, 64}, {(char *)&si + 64, 64}};
	T(readv(sfd, iov, 2));
	printf("  signo %d\n", si.ssi_signo);
	int d = dup(sfd);
	T(raise(SIGUSR1));
	ready("dup", d, -1);
	rd(d, 1);
	close(d);

	printf("-- real-time signals queue\n");
	int rt = signalfd(-1, &m, SFD_NONBLOCK);
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i;
		sigqueue(getpid(), SIGRTMIN + 1, v);
	}
	rd(rt, 2);
	rd(rt, 2);
	rd(rt, 2);
	close(rt);

	printf("-- errors\n");
	int p[2];
	pipe(p);
	T(signalfd(p[0], &one, 0));
	T(signalfd(999, &one, 0));
	T(syscall(SYS_signalfd4, -1, &one, 4, 0));
	T(syscall(SYS_signalfd4, -1, &one, 8, 1));
	T(syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
	T(write(sfd, small, sizeof small));
	T(lseek(sfd, 0, SEEK_SET));
	T(pread(sfd, small, sizeof small, 0));

	printf("-- blocking read woken by a thread\n");
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	int b = signalfd(-1, &only2, 0);
	pthread_t t;
	pthread_create(&t, 0, send_later, (void *)(long)SIGUSR2);
	rd(b, 1);
	pthread_join(t, 0);

	printf("-- epoll wait woken by a thread\n");
	struct epoll_event out[2];
	pthread_create(&t, 0, send_later, (void *)(long)SIGUSR1);
	T(epoll_wait(ep, out, 2, 5000));
	printf("  events %#x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
	pthread_join(t, 0);
	rd(sfd, 1);

	printf("-- ppoll woken by a thread\n");
	pthread_create(&t, 0, send_later, (void *)(long)SIGUSR1);
	struct pollfd pp = {sfd, POLLIN, 0};
	struct timespec ts = {5, 0};
	T(ppoll(&pp, 1, &ts, 0));
	printf("  revents %#x\n", pp.revents);
	pthread_join(t, 0);
	rd(sfd, 1);

	printf("-- a child process\n");
	pid_t c = fork();
	if (c == 0) {
		/* The child's own signal, through the descriptor it inherited. */
		raise(SIGUSR1);
		struct signalfd_siginfo s;
		int ok = read(sfd, &s, sizeof s) == sizeof s && s.ssi_signo == SIGUSR1 &&
			 s.ssi_pid == (uint32_t)getpid();
		usleep(100 * 1000);
		kill(getppid(), SIGUSR2);
		_exit(ok ? 0 : 1);
	}
	T(epoll_wait(ep, out, 2, 5000));
	printf("  events %#x data %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
	struct signalfd_siginfo cs;
	T(read(sfd, &cs, sizeof cs));
	printf("  signo %d code %d from child %d\n", cs.ssi_signo, cs.ssi_code, cs.ssi_pid == (uint32_t)c);
	int status;
	waitpid(c, &status, 0);
	printf("  child read its own: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ready("end", sfd, ep);
	return 0;
}
