/* telldir, seekdir, rewinddir: positions survive and replay the same sequence */
#include "common.h"
#include <dirent.h>

int main(void)
{
	mkdir("d", 0755);
	char name[64];
	for (int i = 0; i < 300; i++) { snprintf(name, sizeof name, "d/f%03d", i); write_file(name, ""); }
	DIR *d = opendir("d");
	struct dirent *e;
	char seq1[320][32]; int n1 = 0;
	long pos[320];
	pos[0] = telldir(d);
	while ((e = readdir(d))) { snprintf(seq1[n1], 32, "%s", e->d_name); n1++; pos[n1] = telldir(d); }
	printf("read %d entries\n", n1);
	/* jump back to several remembered positions and check the continuation matches */
	int idx[] = { 0, 1, 7, 150, 299, 301, n1 };
	for (unsigned k = 0; k < sizeof idx / sizeof *idx; k++) {
		int i = idx[k];
		if (i > n1) continue;
		seekdir(d, pos[i]);
		int ok = 1, j = i;
		while ((e = readdir(d))) { if (j >= n1 || strcmp(e->d_name, seq1[j])) { ok = 0; break; } j++; }
		printf("seekdir to entry %d: replay %s (%d entries)\n", i, ok && j == n1 ? "matches" : "DIFFERS", j - i);
	}
	rewinddir(d);
	int n2 = 0, same = 1;
	while ((e = readdir(d))) { if (strcmp(e->d_name, seq1[n2])) same = 0; n2++; }
	printf("rewinddir: %d entries, same order %s\n", n2, same ? "yes" : "no");
	/* a file created after opendir+rewinddir shows up */
	write_file("d/late", "");
	rewinddir(d);
	int late = 0;
	while ((e = readdir(d))) late += !strcmp(e->d_name, "late");
	printf("late entry seen after rewind: %d\n", late);
	printf("dirfd valid: %s\n", dirfd(d) >= 3 ? "yes" : "no");
	closedir(d);
	/* lseek on a directory fd back to 0 restarts getdents64 */
	int fd = open("d", O_RDONLY | O_DIRECTORY);
	char buf[4096];
	long a = syscall(SYS_getdents64, fd, buf, sizeof buf);
	T(lseek(fd, 0, SEEK_SET));
	long b = syscall(SYS_getdents64, fd, buf, sizeof buf);
	printf("getdents64 after lseek 0 returns same length: %s\n", a == b && a > 0 ? "yes" : "no");
	close(fd);
	return 0;
}
