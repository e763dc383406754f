/* brk and a 256 MiB malloc, every page touched */
#include "common.h"

int main(void)
{
	void *b0 = (void *)syscall(SYS_brk, 0);
	void *b1 = (void *)syscall(SYS_brk, (char *)b0 + 65536);
	printf("brk grew by 64 KiB: %s\n", (char *)b1 == (char *)b0 + 65536 ? "yes" : "no");
	memset(b0, 0x11, 65536);
	void *b2 = (void *)syscall(SYS_brk, b0);
	printf("brk shrank back: %s\n", b2 == b0 ? "yes" : "no");
	void *b3 = (void *)syscall(SYS_brk, (char *)b0 - (1L << 40));
	printf("absurd brk leaves break unchanged: %s\n", b3 == b0 ? "yes" : "no");
	void *s0 = sbrk(0);
	printf("sbrk(0) sane: %s\n", s0 != (void *)-1 ? "yes" : "no");
	size_t n = 256UL << 20;
	unsigned char *p = malloc(n);
	printf("malloc 256 MiB: %s\n", p ? "ok" : "failed");
	if (!p) return 1;
	for (size_t i = 0; i < n; i += 4096) p[i] = (unsigned char)(i >> 12);
	unsigned long sum = 0;
	for (size_t i = 0; i < n; i += 4096) sum += p[i];
	printf("page sum %lu\n", sum);
	memset(p, 0xab, n);
	unsigned long cnt = 0;
	for (size_t i = 0; i < n; i += 511) cnt += p[i] == 0xab;
	printf("memset check %lu\n", cnt);
	p = realloc(p, n + (64UL << 20));
	printf("realloc +64 MiB: %s, first byte kept: %s\n", p ? "ok" : "failed", p && p[0] == 0xab && p[n - 1] == 0xab ? "yes" : "no");
	free(p);
	/* many small allocations */
	void *v[10000];
	for (int i = 0; i < 10000; i++) { v[i] = malloc(i % 500 + 1); memset(v[i], i, i % 500 + 1); }
	int ok = 1;
	for (int i = 0; i < 10000; i++) if (((unsigned char *)v[i])[i % 500] != (unsigned char)i) ok = 0;
	for (int i = 0; i < 10000; i++) free(v[i]);
	printf("10000 small allocations ok: %s\n", ok ? "yes" : "no");
	void *huge = malloc(1UL << 46);
	printf("malloc 64 TiB fails: %s\n", huge ? "no" : "yes");
	return 0;
}
