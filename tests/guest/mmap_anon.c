/* mmap anonymous, mprotect, mremap, munmap, madvise, mlock */
#include "common.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	printf("page size %ld\n", pg);
	size_t len = 16 * pg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap anon: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
	printf("page aligned: %s\n", ((uintptr_t)p % pg) == 0 ? "yes" : "no");
	int zero = 1;
	for (size_t i = 0; i < len; i++) if (p[i]) zero = 0;
	printf("zero filled: %s\n", zero ? "yes" : "no");
	for (size_t i = 0; i < len; i++) p[i] = (char)(i * 7);
	unsigned s = 0;
	for (size_t i = 0; i < len; i++) s = s * 3 + (unsigned char)p[i];
	printf("sum %u\n", s);
	T(mprotect(p, pg, PROT_READ));
	printf("readable after PROT_READ: %d\n", p[1]);
	T(mprotect(p, pg, PROT_READ | PROT_WRITE));
	p[0] = 9;
	SYS(SYS_mprotect, p + 1, pg, PROT_READ);
	T(mprotect(p, len, PROT_READ | PROT_WRITE));
	T(mprotect(p, pg, 0x100));
	/* mremap grow with MAYMOVE keeps the content */
	char *q = mremap(p, len, 64 * pg, MREMAP_MAYMOVE);
	printf("mremap grow: %s\n", q == MAP_FAILED ? errname(errno) : "ok");
	unsigned s2 = 0;
	q[0] = 0;
	for (size_t i = 0; i < len; i++) s2 = s2 * 3 + (unsigned char)q[i];
	printf("content kept (first byte reset): %s\n", s2 == s ? "yes" : "no");
	int tailzero = 1;
	for (size_t i = len; i < 64 * (size_t)pg; i++) if (q[i]) tailzero = 0;
	printf("grown part zero: %s\n", tailzero ? "yes" : "no");
	char *r = mremap(q, 64 * pg, 4 * pg, 0);
	printf("mremap shrink in place: %s\n", r == q ? "yes" : r == MAP_FAILED ? errname(errno) : "moved");
	T(mremap(q, 4 * pg, 8 * pg, 0x80) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	/* MADV_DONTNEED on private anonymous memory gives zero pages back */
	memset(r, 0x5a, 4 * pg);
	T(madvise(r, pg, MADV_DONTNEED));
	printf("after DONTNEED first byte %d, second page byte %d\n", r[0], r[pg]);
	T(madvise(r, pg, MADV_WILLNEED));
	T(madvise(r + 1, pg, MADV_NORMAL));
	T(mlock(r, pg));
	T(munlock(r, pg));
	T(munmap(r, 4 * pg));
	T(munmap(r + 1, pg));
	T(munmap(r, 0));
	/* fixed mapping over a hole we own */
	char *base = mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *fx = mmap(base + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED at requested address: %s\n", fx == base + 2 * pg ? "yes" : "no");
	fx[10] = 1;
	char *nr = mmap(base + 4 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("MAP_FIXED_NOREPLACE over reserved: %s\n", nr == MAP_FAILED ? errname(errno) : "mapped");
	T(munmap(base, 8 * pg));
	T(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	T(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	T(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	/* many small mappings */
	int ok = 1;
	char *ms[200];
	for (int i = 0; i < 200; i++) { ms[i] = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); if (ms[i] == MAP_FAILED) ok = 0; else ms[i][0] = i; }
	for (int i = 0; i < 200; i++) if (ms[i] != MAP_FAILED && ms[i][0] != (char)i) ok = 0;
	for (int i = 0; i < 200; i++) munmap(ms[i], pg);
	printf("200 small mappings ok: %s\n", ok ? "yes" : "no");
	/* MAP_SHARED anonymous */
	char *sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("shared anon: %s\n", sh == MAP_FAILED ? errname(errno) : "ok");
	if (sh != MAP_FAILED) { strcpy(sh, "shared"); printf("[%s]\n", sh); munmap(sh, pg); }
	T(mlockall(MCL_CURRENT));
	T(munlockall());
	return 0;
}
