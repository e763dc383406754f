/* SIGSEGV handlers on a sigaltstack recovering with siglongjmp: a null-page write (SEGV_MAPERR,
 * si_addr), a write to a read-only page (SEGV_ACCERR), a read of a PROT_NONE page, and a runaway
 * recursion that overflows the stack (only an alternate stack can run that handler). Checks the
 * handler ran on the alternate stack, SS_ONSTACK was reported inside, and the mask was restored. */
#include "common.h"
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf jb;
static char *alt;
static size_t altsz = 256 * 1024;
static volatile int on_alt, onstack_flag, code;
static void *volatile addr;

static void segv(int sig, siginfo_t *si, void *uc)
{
	char here;
	on_alt = &here >= alt && &here < alt + altsz;
	stack_t cur;
	sigaltstack(NULL, &cur);
	onstack_flag = (cur.ss_flags & SS_ONSTACK) != 0;
	code = si->si_code;
	addr = si->si_addr;
	siglongjmp(jb, sig);
}

static const char *cname(int c)
{
	return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static volatile int sink;
static int recurse(int n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	return recurse(n + 1) + pad[0];
}

int main(void)
{
	alt = mmap(NULL, altsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_sp = alt, .ss_size = altsz, .ss_flags = 0};
	T(sigaltstack(&ss, NULL));
	stack_t q;
	sigaltstack(NULL, &q);
	printf("altstack registered: %s flags %d\n", q.ss_sp == alt && q.ss_size == altsz ? "yes" : "no", q.ss_flags);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);

	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int round = 0; round < 4; round++) {
		void *expect = NULL;
		const char *what = "";
		int s = sigsetjmp(jb, 1);
		if (s == 0) {
			switch (round) {
			case 0: what = "null+0x10 write"; expect = (void *)0x10; *(volatile int *)0x10 = 1; break;
			case 1: what = "read-only write"; expect = ro + 100; *(volatile char *)(ro + 100) = 1; break;
			case 2: what = "PROT_NONE read"; expect = none + 8; sink = *(volatile char *)(none + 8); break;
			case 3: what = "stack overflow"; expect = NULL; sink = recurse(0); break;
			}
			printf("round %d: no fault\n", round);
			continue;
		}
		static const char *names[] = {"null+0x10 write", "read-only write", "PROT_NONE read", "stack overflow"};
		expect = round == 0 ? (void *)0x10 : round == 1 ? (void *)(ro + 100) : round == 2 ? (void *)(none + 8) : NULL;
		printf("%s: signal %d %s si_addr %s on_alt %d SS_ONSTACK %d\n", names[round], s, cname(code),
		       round == 3 ? "(not checked)" : addr == expect ? "right" : "WRONG", on_alt, onstack_flag);
		(void)what;
		sigset_t cur;
		sigprocmask(SIG_BLOCK, NULL, &cur);
		printf("  SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
	}
	sigaltstack(NULL, &q);
	printf("altstack flags after: %d\n", q.ss_flags);
	ss.ss_flags = SS_DISABLE;
	T(sigaltstack(&ss, NULL));
	sigaltstack(NULL, &q);
	printf("disabled: %d\n", q.ss_flags == SS_DISABLE);
	ss.ss_flags = 0;
	ss.ss_size = 100;
	T(sigaltstack(&ss, NULL));
	return 0;
}
