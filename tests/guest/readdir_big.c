/* getdents64 through opendir/readdir on a directory of 1200 entries; sorted output */
#include "common.h"
#include <dirent.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
	enum { N = 1200 };
	T(mkdir("big", 0755));
	char name[64];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "big/entry-%04d-%s", i, i % 3 == 0 ? "a-somewhat-longer-name-to-vary-record-sizes" : "s");
		if (i % 10 == 0) { if (mkdir(name, 0755)) printf("mkdir %s: %s\n", name, errname(errno)); }
		else { int fd = open(name, O_CREAT | O_WRONLY, 0644); if (fd < 0) printf("create %s: %s\n", name, errname(errno)); close(fd); }
	}
	symlink("entry-0001-s", "big/zlink");
	DIR *d = opendir("big");
	if (!d) { printf("opendir: %s\n", errname(errno)); return 1; }
	char **names = malloc(sizeof(char *) * (N + 10));
	int n = 0, dots = 0, dirs = 0, regs = 0, links = 0, unknown = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) { dots++; continue; }
		if (n < N + 10) names[n++] = strdup(e->d_name);
		switch (e->d_type) { case DT_DIR: dirs++; break; case DT_REG: regs++; break; case DT_LNK: links++; break; default: unknown++; }
	}
	printf("readdir end errno: %s\n", errname(errno));
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	int dup = 0;
	for (int i = 1; i < n; i++) dup += !strcmp(names[i], names[i - 1]);
	printf("entries %d dots %d dirs %d regs %d links %d unknown-type %d duplicates %d\n", n, dots, dirs, regs, links, unknown, dup);
	unsigned long h = 5381;
	for (int i = 0; i < n; i++) for (char *p = names[i]; *p; p++) h = h * 33 + (unsigned char)*p;
	printf("name hash %lu\n", h);
	for (int i = 0; i < 3; i++) printf("first: %s\n", names[i]);
	for (int i = n - 3; i < n; i++) printf("last: %s\n", names[i]);
	/* raw getdents64 with a small buffer: every record well-formed, same count */
	int fd = open("big", O_RDONLY | O_DIRECTORY);
	char buf[700];
	long total = 0, calls = 0, bad = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (r < 0) { printf("getdents64: %s\n", errname(errno)); break; }
		if (r == 0) break;
		calls++;
		for (long off = 0; off < r;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			if (reclen == 0 || reclen % 8 || off + reclen > r) { bad++; break; }
			total++;
			off += reclen;
		}
	}
	printf("getdents64 records %ld (more than one call: %s) malformed %ld\n", total, calls > 1 ? "yes" : "no", bad);
	T(syscall(SYS_getdents64, fd, buf, 10));
	close(fd);
	T(syscall(SYS_getdents64, fd, buf, sizeof buf));
	int f = open("big/entry-0001-s", O_RDONLY);
	T(syscall(SYS_getdents64, f, buf, sizeof buf));
	/* empty directory */
	mkdir("empty", 0755);
	d = opendir("empty");
	n = 0;
	while ((e = readdir(d))) n++;
	printf("empty dir entries: %d\n", n);
	closedir(d);
	T(opendir("missing") == NULL);
	T(opendir("big/entry-0001-s") == NULL);
	return 0;
}
