/* The fast path (rewritten syscall sites): the same `mov $N,%eax; syscall` sites run thousands of
 * times, so under rumplx they are rewritten after their first trap and later calls come through a
 * jump. Checks that nothing the guest can see changes: results, every register but rax/rcx/r11,
 * the flags, SSE and AVX registers, a leaf function's red zone, a jump straight to a rewritten
 * site's `syscall` (still trapping), signal handlers interrupting a loop of fast calls (and making
 * fast calls themselves), a blocking read restarted after SA_RESTART, a thread and a fork child
 * running rewritten sites. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static long raw_getpid(void)
{
	long r;
	__asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
	return r;
}

static long raw_write(int fd, const void *buf, long n)
{
	long r;
	__asm__ volatile("mov $1, %%eax\n\tsyscall" : "=a"(r) : "D"((long)fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
	return r;
}

static long raw_read(int fd, void *buf, long n)
{
	long r;
	__asm__ volatile("mov $0, %%eax\n\tsyscall" : "=a"(r) : "D"((long)fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
	return r;
}

static long raw_clock_gettime(int clk, struct timespec *ts)
{
	long r;
	__asm__ volatile("mov $228, %%eax\n\tsyscall" : "=a"(r) : "D"((long)clk), "S"(ts) : "rcx", "r11", "memory");
	return r;
}

/* Either through the `mov` (rewritten: a jump to the stub) or straight to the `syscall` with eax
 * set by another mov: the instruction after a rewritten mov must still trap and work. */
static long getpid_two_ways(long straight)
{
	long r;
	__asm__ volatile("test %1, %1\n\t"
			 "jz 1f\n\t"
			 "mov $39, %%eax\n\t"
			 "jmp 2f\n\t"
			 "1: mov $39, %%eax\n\t"
			 "2: syscall"
			 : "=a"(r) : "r"(straight) : "rcx", "r11", "memory");
	return r;
}

/* A leaf function keeping data in its red zone across an inline syscall. */
__attribute__((noinline)) static long red_zone_kept(void)
{
	long ok;
	__asm__ volatile("movq $0x1111, -8(%%rsp)\n\t"
			 "movq $0x2222, -64(%%rsp)\n\t"
			 "movq $0x3333, -128(%%rsp)\n\t"
			 "mov $39, %%eax\n\t"
			 "syscall\n\t"
			 "xor %%eax, %%eax\n\t"
			 "cmpq $0x1111, -8(%%rsp)\n\t"
			 "jne 1f\n\t"
			 "cmpq $0x2222, -64(%%rsp)\n\t"
			 "jne 1f\n\t"
			 "cmpq $0x3333, -128(%%rsp)\n\t"
			 "jne 1f\n\t"
			 "mov $1, %%eax\n\t"
			 "1:"
			 : "=a"(ok) : : "rcx", "r11", "memory");
	return ok;
}

/* Every general register but rax, rcx and r11 survives the call; so do the flags (CF, DF). */
static int regs_ok(void)
{
	long out[11];
	long flags;
	__asm__ volatile("push %%rbx\n\tpush %%rbp\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n\t"
			 "push %%rdi\n\t"
			 "mov $0x1001, %%rbx\n\tmov $0x1002, %%rbp\n\tmov $0x1003, %%r12\n\tmov $0x1004, %%r13\n\t"
			 "mov $0x1005, %%r14\n\tmov $0x1006, %%r15\n\tmov $0x1007, %%rsi\n\tmov $0x1008, %%rdx\n\t"
			 "mov $0x1009, %%r8\n\tmov $0x100a, %%r9\n\tmov $0x100b, %%r10\n\t"
			 "stc\n\tstd\n\t"
			 "mov $39, %%eax\n\t"
			 "syscall\n\t"
			 "pushfq\n\tpop %%rax\n\tcld\n\t"
			 "pop %%rdi\n\t"
			 "mov %%rbx, 0(%%rdi)\n\tmov %%rbp, 8(%%rdi)\n\tmov %%r12, 16(%%rdi)\n\tmov %%r13, 24(%%rdi)\n\t"
			 "mov %%r14, 32(%%rdi)\n\tmov %%r15, 40(%%rdi)\n\tmov %%rsi, 48(%%rdi)\n\tmov %%rdx, 56(%%rdi)\n\t"
			 "mov %%r8, 64(%%rdi)\n\tmov %%r9, 72(%%rdi)\n\tmov %%r10, 80(%%rdi)\n\t"
			 "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbp\n\tpop %%rbx"
			 : "=a"(flags) : "D"(out) : "rcx", "rsi", "rdx", "r8", "r9", "r10", "r11", "memory");
	int ok = (flags & 1) && (flags & 0x400);
	for (int i = 0; i < 11; i++)
		ok &= out[i] == 0x1001 + i;
	return ok;
}

/* xmm and (where the CPU has AVX) the upper ymm halves survive a loop of calls. */
static int vector_kept(void)
{
	double d = 0;
	for (int i = 0; i < 1000; i++) {
		d += 0.5;
		raw_getpid();
	}
	int ok = d == 500.0;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx")) {
		unsigned long in[4] = {0x1111222233334444UL, 0x5555666677778888UL, 0x9999aaaabbbbccccUL, 0xddddeeeeffff0001UL};
		unsigned long out[4] = {0};
		__asm__ volatile("vmovdqu (%1), %%ymm9\n\t"
				 "mov $2000, %%r12d\n\t"
				 "1: mov $39, %%eax\n\t"
				 "syscall\n\t"
				 "dec %%r12d\n\t"
				 "jnz 1b\n\t"
				 "vmovdqu %%ymm9, (%0)\n\t"
				 "vzeroupper"
				 : : "r"(out), "r"(in) : "rax", "rcx", "r11", "r12", "xmm9", "memory");
		ok &= memcmp(in, out, sizeof in) == 0;
	}
	return ok;
}

static volatile sig_atomic_t alarms, handler_pid_ok = 1;
static long mypid;
static void on_alarm(int s)
{
	(void)s;
	alarms++;
	if (raw_getpid() != mypid)
		handler_pid_ok = 0;
}

static void *thread_calls(void *arg)
{
	(void)arg;
	long same = 1;
	for (int i = 0; i < 10000; i++)
		same &= raw_getpid() == mypid;
	return (void *)same;
}

int main(void)
{
	mypid = getpid();
	long same = 1;
	for (int i = 0; i < 10000; i++)
		same &= raw_getpid() == mypid;
	printf("10000 getpid from one site agree with getpid(): %ld\n", same);

	struct timespec a, b;
	long mono_ok = 1;
	raw_clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++) {
		if (raw_clock_gettime(CLOCK_MONOTONIC, &b) != 0)
			mono_ok = 0;
		if (b.tv_sec < a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec < a.tv_nsec))
			mono_ok = 0;
		a = b;
	}
	printf("10000 clock_gettime(MONOTONIC) from one site never go back: %ld\n", mono_ok);
	printf("bad clock through a site: %s\n", errname(-raw_clock_gettime(12345, &b)));

	int fd = open("/dev/null", O_WRONLY);
	long wrote = 0;
	for (int i = 0; i < 10000; i++)
		wrote += raw_write(fd, "x", 1);
	close(fd);
	printf("10000 writes of 1 byte to /dev/null: %ld bytes\n", wrote);
	printf("write to a closed fd through a site: %s\n", errname(-raw_write(fd, "x", 1)));
	for (int i = 0; i < 3; i++)
		raw_write(1, "a line written through the same site\n", 37);

	long two = 1;
	for (int i = 0; i < 2000; i++)
		two &= getpid_two_ways(i & 1) == mypid;
	printf("through the mov and straight to the syscall agree: %ld\n", two);

	int rz = 1;
	for (int i = 0; i < 1000; i++)
		rz &= red_zone_kept();
	printf("red zone kept: %d\n", rz);
	int rk = 1;
	for (int i = 0; i < 1000; i++)
		rk &= regs_ok();
	printf("registers and flags kept: %d\n", rk);
	printf("vector registers kept: %d\n", vector_kept());

	/* Signals land in the middle of a loop of fast calls; the handler makes fast calls too. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	long loops = 0, during = 1;
	while (alarms < 20) {
		during &= raw_getpid() == mypid;
		loops++;
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("20 alarms during fast calls: calls right %ld, handler calls right %d\n", during, (int)handler_pid_ok);

	/* A blocking read through a rewritten site, interrupted by SA_RESTART alarms, restarts. */
	int p[2];
	pipe(p);
	pid_t w = fork();
	if (w == 0) {
		raw_write(p[1], "a", 1);
		usleep(200 * 1000);
		raw_write(p[1], "b", 1);
		_exit(0);
	}
	char c1 = 0, c2 = 0;
	long r1 = raw_read(p[0], &c1, 1);
	alarms = 0;
	struct itimerval slow = {{0, 20000}, {0, 20000}};
	setitimer(ITIMER_REAL, &slow, NULL);
	long r2 = raw_read(p[0], &c2, 1);
	setitimer(ITIMER_REAL, &off, NULL);
	waitpid(w, NULL, 0);
	printf("reads through one site across restarts: %ld %c, %ld %c, alarms came %d\n", r1, c1, r2, c2, alarms > 0);

	/* A thread runs the rewritten site. */
	pthread_t t;
	void *res;
	pthread_create(&t, NULL, thread_calls, NULL);
	pthread_join(t, &res);
	printf("a thread through rewritten sites: %ld\n", (long)res);

	/* A fork child inherits the rewritten text. */
	pid_t pid = fork();
	if (pid == 0) {
		long self = getpid(), ok = 1;
		for (int i = 0; i < 10000; i++)
			ok &= raw_getpid() == self;
		raw_write(1, ok ? "child: fast calls right\n" : "child: fast calls WRONG\n", 24);
		_exit(ok ? 7 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
