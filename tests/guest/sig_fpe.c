/* Faults turned into signals with the right si_code and si_addr: integer 1/0 and INT_MIN/-1
 * (SIGFPE, FPE_INTDIV, si_addr is the idiv), ud2 (SIGILL, ILL_ILLOPN), int3 (SIGTRAP), each recovered
 * with siglongjmp. */
#include "common.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;
static volatile int code, signo;
static void *volatile addr;
static void h(int s, siginfo_t *si, void *uc)
{
	signo = s;
	code = si->si_code;
	addr = si->si_addr;
	siglongjmp(jb, 1);
}

extern char div_insn[], ud2_insn[];
__attribute__((noinline)) static int divide(int a, int b)
{
	int q;
	__asm__ volatile("mov %1, %%eax\n\tcltd\n\t.globl div_insn\ndiv_insn:\n\tidivl %2\n\tmov %%eax, %0"
			 : "=r"(q) : "r"(a), "r"(b) : "eax", "edx");
	return q;
}
__attribute__((noinline)) static void do_ud2(void) { __asm__ volatile(".globl ud2_insn\nud2_insn:\n\tud2"); }
__attribute__((noinline)) static void do_int3(void) { __asm__ volatile("int3"); }

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	printf("7/2 = %d\n", divide(7, 2));
	int cases[][2] = {{1, 0}, {-2147483647 - 1, -1}, {5, 0}};
	for (int i = 0; i < 3; i++) {
		if (sigsetjmp(jb, 1) == 0) {
			int q = divide(cases[i][0], cases[i][1]);
			printf("%d / %d = %d (no fault)\n", cases[i][0], cases[i][1], q);
		} else {
			printf("%d / %d: signal %s code %s si_addr %s\n", cases[i][0], cases[i][1],
			       signo == SIGFPE ? "SIGFPE" : "other", code == FPE_INTDIV ? "FPE_INTDIV" : "other",
			       addr == (void *)div_insn ? "at idiv" : "WRONG");
		}
	}
	if (sigsetjmp(jb, 1) == 0) {
		do_ud2();
		printf("ud2: no fault\n");
	} else {
		printf("ud2: signal %s code %s si_addr %s\n", signo == SIGILL ? "SIGILL" : "other",
		       code == ILL_ILLOPN ? "ILL_ILLOPN" : "other", addr == (void *)ud2_insn ? "at ud2" : "WRONG");
	}
	if (sigsetjmp(jb, 1) == 0) {
		do_int3();
		printf("int3: no fault\n");
	} else {
		printf("int3: signal %s code %d\n", signo == SIGTRAP ? "SIGTRAP" : "other", code);
	}
	/* a blocked fault signal cannot be held off: with SIGFPE blocked the process dies of it */
	printf("done\n");
	return 0;
}
