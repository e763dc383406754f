/* The syscall instruction preserves what Linux preserves: every register but rax, rcx and r11, the
 * vector registers, MXCSR/x87 control, the direction flag, and the red zone below rsp. rumplx
 * catches syscalls in a signal handler, so this checks that nothing leaks out of that machinery. */
#include "common.h"
#include <fenv.h>

static unsigned char vin[16][32] __attribute__((aligned(32)));
static unsigned char vout[16][32] __attribute__((aligned(32)));

static long gprs(long nr, unsigned long *o)
{
	long ret;
	__asm__ volatile(
		"mov $0x1111111111111111, %%r8\n\t"
		"mov $0x2222222222222222, %%r9\n\t"
		"mov $0x3333333333333333, %%r10\n\t"
		"mov $0x4444444444444444, %%r12\n\t"
		"mov $0x5555555555555555, %%r13\n\t"
		"mov $0x6666666666666666, %%r14\n\t"
		"mov $0x7777777777777777, %%r15\n\t"
		"mov $0x8888888888888888, %%rbx\n\t"
		"mov $0x9999999999999999, %%rdx\n\t"
		"mov $0xaaaaaaaaaaaaaaaa, %%rsi\n\t"
		"push %%rdi\n\t"
		"mov $0xbbbbbbbbbbbbbbbb, %%rdi\n\t"
		"syscall\n\t"
		"mov %%rdi, %%rcx\n\t"
		"pop %%rdi\n\t"
		"mov %%r8, 0(%%rdi)\n\t"
		"mov %%r9, 8(%%rdi)\n\t"
		"mov %%r10, 16(%%rdi)\n\t"
		"mov %%r12, 24(%%rdi)\n\t"
		"mov %%r13, 32(%%rdi)\n\t"
		"mov %%r14, 40(%%rdi)\n\t"
		"mov %%r15, 48(%%rdi)\n\t"
		"mov %%rbx, 56(%%rdi)\n\t"
		"mov %%rdx, 64(%%rdi)\n\t"
		"mov %%rsi, 72(%%rdi)\n\t"
		"mov %%rcx, 80(%%rdi)\n\t"
		: "=a"(ret)
		: "a"(nr), "D"(o)
		: "rcx", "r11", "r8", "r9", "r10", "r12", "r13", "r14", "r15", "rbx", "rdx", "rsi", "memory");
	return ret;
}

static void check_gprs(const char *what, long nr)
{
	unsigned long o[11];
	static const unsigned long want[11] = { 0x1111111111111111, 0x2222222222222222, 0x3333333333333333, 0x4444444444444444,
		0x5555555555555555, 0x6666666666666666, 0x7777777777777777, 0x8888888888888888, 0x9999999999999999,
		0xaaaaaaaaaaaaaaaa, 0xbbbbbbbbbbbbbbbb };
	static const char *names[11] = { "r8", "r9", "r10", "r12", "r13", "r14", "r15", "rbx", "rdx", "rsi", "rdi" };
	long r = gprs(nr, o);
	printf("%s: returned %s;", what, r < 0 ? errname((int)-r) : "a value");
	int bad = 0;
	for (int i = 0; i < 11; i++) if (o[i] != want[i]) { printf(" %s CLOBBERED", names[i]); bad = 1; }
	printf(bad ? "\n" : " general registers preserved\n");
}

static void check_xmm(const char *what, long nr)
{
	for (int i = 0; i < 16; i++) for (int j = 0; j < 16; j++) vin[i][j] = (unsigned char)(i * 16 + j + 1);
	memset(vout, 0, sizeof vout);
	long ret;
	__asm__ volatile(
		"movdqa 0(%%rsi), %%xmm0\n\t" "movdqa 32(%%rsi), %%xmm1\n\t" "movdqa 64(%%rsi), %%xmm2\n\t" "movdqa 96(%%rsi), %%xmm3\n\t"
		"movdqa 128(%%rsi), %%xmm4\n\t" "movdqa 160(%%rsi), %%xmm5\n\t" "movdqa 192(%%rsi), %%xmm6\n\t" "movdqa 224(%%rsi), %%xmm7\n\t"
		"movdqa 256(%%rsi), %%xmm8\n\t" "movdqa 288(%%rsi), %%xmm9\n\t" "movdqa 320(%%rsi), %%xmm10\n\t" "movdqa 352(%%rsi), %%xmm11\n\t"
		"movdqa 384(%%rsi), %%xmm12\n\t" "movdqa 416(%%rsi), %%xmm13\n\t" "movdqa 448(%%rsi), %%xmm14\n\t" "movdqa 480(%%rsi), %%xmm15\n\t"
		"syscall\n\t"
		"movdqa %%xmm0, 0(%%rdx)\n\t" "movdqa %%xmm1, 32(%%rdx)\n\t" "movdqa %%xmm2, 64(%%rdx)\n\t" "movdqa %%xmm3, 96(%%rdx)\n\t"
		"movdqa %%xmm4, 128(%%rdx)\n\t" "movdqa %%xmm5, 160(%%rdx)\n\t" "movdqa %%xmm6, 192(%%rdx)\n\t" "movdqa %%xmm7, 224(%%rdx)\n\t"
		"movdqa %%xmm8, 256(%%rdx)\n\t" "movdqa %%xmm9, 288(%%rdx)\n\t" "movdqa %%xmm10, 320(%%rdx)\n\t" "movdqa %%xmm11, 352(%%rdx)\n\t"
		"movdqa %%xmm12, 384(%%rdx)\n\t" "movdqa %%xmm13, 416(%%rdx)\n\t" "movdqa %%xmm14, 448(%%rdx)\n\t" "movdqa %%xmm15, 480(%%rdx)\n\t"
		: "=a"(ret)
		: "a"(nr), "S"(vin), "d"(vout)
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	int bad = 0;
	for (int i = 0; i < 16; i++) if (memcmp(vin[i], vout[i], 16)) { printf("%s: xmm%d CLOBBERED\n", what, i); bad = 1; }
	if (!bad) printf("%s: xmm0-15 preserved\n", what);
	(void)ret;
}

static void check_ymm(const char *what, long nr)
{
	if (!__builtin_cpu_supports("avx")) { printf("%s: no AVX on this CPU\n", what); return; }
	for (int i = 0; i < 16; i++) for (int j = 0; j < 32; j++) vin[i][j] = (unsigned char)(255 - i * 16 - j);
	memset(vout, 0, sizeof vout);
	long ret;
	__asm__ volatile(
		"vmovdqa 0(%%rsi), %%ymm0\n\t" "vmovdqa 32(%%rsi), %%ymm1\n\t" "vmovdqa 64(%%rsi), %%ymm2\n\t" "vmovdqa 96(%%rsi), %%ymm3\n\t"
		"vmovdqa 128(%%rsi), %%ymm4\n\t" "vmovdqa 160(%%rsi), %%ymm5\n\t" "vmovdqa 192(%%rsi), %%ymm6\n\t" "vmovdqa 224(%%rsi), %%ymm7\n\t"
		"vmovdqa 256(%%rsi), %%ymm8\n\t" "vmovdqa 288(%%rsi), %%ymm9\n\t" "vmovdqa 320(%%rsi), %%ymm10\n\t" "vmovdqa 352(%%rsi), %%ymm11\n\t"
		"vmovdqa 384(%%rsi), %%ymm12\n\t" "vmovdqa 416(%%rsi), %%ymm13\n\t" "vmovdqa 448(%%rsi), %%ymm14\n\t" "vmovdqa 480(%%rsi), %%ymm15\n\t"
		"syscall\n\t"
		"vmovdqa %%ymm0, 0(%%rdx)\n\t" "vmovdqa %%ymm1, 32(%%rdx)\n\t" "vmovdqa %%ymm2, 64(%%rdx)\n\t" "vmovdqa %%ymm3, 96(%%rdx)\n\t"
		"vmovdqa %%ymm4, 128(%%rdx)\n\t" "vmovdqa %%ymm5, 160(%%rdx)\n\t" "vmovdqa %%ymm6, 192(%%rdx)\n\t" "vmovdqa %%ymm7, 224(%%rdx)\n\t"
		"vmovdqa %%ymm8, 256(%%rdx)\n\t" "vmovdqa %%ymm9, 288(%%rdx)\n\t" "vmovdqa %%ymm10, 320(%%rdx)\n\t" "vmovdqa %%ymm11, 352(%%rdx)\n\t"
		"vmovdqa %%ymm12, 384(%%rdx)\n\t" "vmovdqa %%ymm13, 416(%%rdx)\n\t" "vmovdqa %%ymm14, 448(%%rdx)\n\t" "vmovdqa %%ymm15, 480(%%rdx)\n\t"
		"vzeroupper\n\t"
		: "=a"(ret)
		: "a"(nr), "S"(vin), "d"(vout)
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	int bad = 0;
	for (int i = 0; i < 16; i++) if (memcmp(vin[i], vout[i], 32)) { printf("%s: ymm%d CLOBBERED\n", what, i); bad = 1; }
	if (!bad) printf("%s: ymm0-15 preserved (AVX)\n", what);
	(void)ret;
}

static void check_flags_and_redzone(const char *what, long nr)
{
	unsigned long flags, red[4];
	long ret;
	__asm__ volatile(
		"mov $0x0123456789abcdef, %%rcx\n\t" "mov %%rcx, -8(%%rsp)\n\t"
		"mov $0x1122334455667788, %%rcx\n\t" "mov %%rcx, -64(%%rsp)\n\t"
		"mov $0x0f0e0d0c0b0a0908, %%rcx\n\t" "mov %%rcx, -120(%%rsp)\n\t"
		"mov $0x7766554433221100, %%rcx\n\t" "mov %%rcx, -128(%%rsp)\n\t"
		"std\n\t"
		"syscall\n\t"
		/* read the red zone back before pushfq writes below rsp */
		"mov -8(%%rsp), %%rcx\n\t" "mov %%rcx, 0(%2)\n\t"
		"mov -64(%%rsp), %%rcx\n\t" "mov %%rcx, 8(%2)\n\t"
		"mov -120(%%rsp), %%rcx\n\t" "mov %%rcx, 16(%2)\n\t"
		"mov -128(%%rsp), %%rcx\n\t" "mov %%rcx, 24(%2)\n\t"
		"pushfq\n\t"
		"popq %%rcx\n\t"
		"cld\n\t"
		"mov %%rcx, %1\n\t"
		: "=a"(ret), "=m"(flags)
		: "r"(red), "a"(nr)
		: "rcx", "r11", "memory", "cc");
	printf("%s: direction flag %s; red zone %s\n", what, (flags & 0x400) ? "preserved" : "CLEARED",
	       red[0] == 0x0123456789abcdefUL && red[1] == 0x1122334455667788UL && red[2] == 0x0f0e0d0c0b0a0908UL && red[3] == 0x7766554433221100UL
		       ? "intact" : "CLOBBERED");
	(void)ret;
}

int main(void)
{
	/* three kinds of call: a plain one, one answered with an error, an unknown number */
	struct { const char *name; long nr; } calls[] = { { "getppid", SYS_getppid }, { "close(bad)", SYS_close }, { "unknown 1000", 1000 } };
	for (int i = 0; i < 3; i++) {
		check_gprs(calls[i].name, calls[i].nr);
		check_xmm(calls[i].name, calls[i].nr);
		check_ymm(calls[i].name, calls[i].nr);
	}
	/* flags and red zone: getppid only (the redzone asm keeps no argument registers) */
	check_flags_and_redzone("getppid", SYS_getppid);
	check_flags_and_redzone("unknown 1000", 1000);
	/* floating point environment */
	fesetround(FE_UPWARD);
	volatile double third = 1.0;
	third /= 3.0;
	syscall(SYS_getppid);
	printf("rounding mode after a syscall: %s\n", fegetround() == FE_UPWARD ? "still upward" : "CHANGED");
	volatile double again = 1.0;
	again /= 3.0;
	printf("same rounding result: %s\n", again == third ? "yes" : "no");
	fesetround(FE_TONEAREST);
	feclearexcept(FE_ALL_EXCEPT);
	volatile double z = 0.0, q = 1.0 / z;
	syscall(SYS_getppid);
	printf("divide-by-zero flag kept across a syscall: %s (inf %d)\n", fetestexcept(FE_DIVBYZERO) ? "yes" : "no", q > 1e308);
	return 0;
}
