/* mmap of files: private (copy on write), shared + msync, beyond EOF, access checks */
#include "common.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char buf[256];
	for (int i = 0; i < 3 * pg; i += 16) write(fd, "0123456789abcdef", 16);
	char *p = mmap(NULL, 3 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("private map: %s\n", p == MAP_FAILED ? errname(errno) : "ok");
	printf("[%.16s] [%.16s]\n", p, p + 2 * pg + 16);
	T(pwrite(fd, "WRITTEN", 7, 0));
	printf("private map sees later write on untouched page: [%.7s]\n", p); /* Linux: yes, page cache shared until COW */
	T(munmap(p, 3 * pg));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
	printf("private rw map at offset: [%.8s]\n", p);
	memcpy(p, "PRIVATE!", 8);
	T(pread(fd, buf, 8, pg));
	printf("file after private write: [%.8s]\n", buf);
	T(munmap(p, pg));
	char *s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("shared map: %s\n", s == MAP_FAILED ? errname(errno) : "ok");
	memcpy(s + 100, "SHARED", 6);
	T(msync(s, 2 * pg, MS_SYNC));
	T(pread(fd, buf, 6, 100));
	printf("file after shared write: [%.6s]\n", buf);
	T(pwrite(fd, "FROMWRITE", 9, 200));
	printf("shared map sees write(): [%.9s]\n", s + 200);
	T(msync(s, pg, MS_ASYNC));
	T(msync(s + 1, pg, MS_SYNC));
	T(msync(s, pg, MS_SYNC | MS_ASYNC));
	T(munmap(s, 2 * pg));
	/* mapping past EOF: the partial last page is zero filled beyond the end */
	int g = open("small", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(g, "tiny", 4);
	char *t = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, g, 0);
	printf("small: [%.4s] then %d %d\n", t, t[4], t[pg - 1]);
	T(munmap(t, pg));
	/* shared mapping + ftruncate extend, then write through the map */
	T(ftruncate(g, pg));
	t = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, g, 0);
	memcpy(t + pg - 4, "END!", 4);
	T(munmap(t, pg));
	T(pread(g, buf, 4, pg - 4));
	printf("tail via shared map: [%.4s]\n", buf);
	close(g);
	/* access checks */
	int ro = open("f", O_RDONLY);
	T(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	char *cw = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	printf("private writable map of O_RDONLY fd: %s\n", cw == MAP_FAILED ? errname(errno) : "ok");
	int wo = open("f", O_WRONLY);
	T(mmap(NULL, pg, PROT_READ, MAP_SHARED, wo, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	T(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	mkdir("d", 0755);
	int d = open("d", O_RDONLY);
	T(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, d, 0) == MAP_FAILED);
	printf("errno %s\n", errname(errno));
	/* mapping survives close of its fd */
	char *k = mmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
	close(ro);
	printf("after close: [%.7s]\n", k);
	munmap(k, pg);
	close(fd);
	return 0;
}
