/* /proc/self/exe, /proc/self/maps, /proc/self/fd, /proc/cpuinfo, /proc/meminfo */
#include "common.h"
#include <dirent.h>

static int file_contains(const char *path, const char *needle)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	if (fd < 0) return -errno;
	size_t n = 0; ssize_t r;
	while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
	close(fd);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

int main(int argc, char **argv)
{
	char buf[4096] = {0};
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	printf("readlink /proc/self/exe: %s\n", n > 0 ? "ok" : errname(errno));
	if (n > 0) {
		buf[n] = 0;
		const char *base = strrchr(buf, '/');
		printf("exe basename %s, absolute %s\n", base ? base + 1 : buf, buf[0] == '/' ? "yes" : "no");
		const char *a0 = strrchr(argv[0], '/');
		printf("basename matches argv[0]: %s\n", !strcmp(base ? base + 1 : buf, a0 ? a0 + 1 : argv[0]) ? "yes" : "no");
		struct stat s1, s2;
		printf("exe link names this program: %s\n", stat(buf, &s1) == 0 && stat("/proc/self/exe", &s2) == 0 && s1.st_ino == s2.st_ino ? "yes" : "no");
	}
	printf("maps has [stack]: %d\n", file_contains("/proc/self/maps", "[stack]"));
	const char *a0 = strrchr(argv[0], '/');
	printf("maps names the program: %d\n", file_contains("/proc/self/maps", a0 ? a0 + 1 : argv[0]));
	/* the mapping holding main's code is executable */
	FILE *m = fopen("/proc/self/maps", "r");
	int found = 0, lines = 0;
	char code_perms[8] = "none", stack_perms[8] = "none";
	int stack_named = 0;
	if (m) {
		char line[512];
		uintptr_t pc = (uintptr_t)&main, sp = (uintptr_t)&n;
		while (fgets(line, sizeof line, m)) {
			unsigned long lo, hi; char perms[8];
			lines++;
			if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3) {
				if (pc >= lo && pc < hi) strcpy(code_perms, perms);
				if (sp >= lo && sp < hi) { strcpy(stack_perms, perms); stack_named = strstr(line, "[stack]") != NULL; found = 1; }
			}
		}
		fclose(m);
	}
	/* printed after the walk: the order of mappings depends on where things were placed */
	printf("code mapping perms %s\n", code_perms);
	printf("stack mapping perms %s, is [stack]: %s\n", stack_perms, stack_named ? "yes" : "no");
	printf("maps lines > 3: %s, stack located: %s\n", lines > 3 ? "yes" : "no", found ? "yes" : "no");
	/* /proc/self/fd lists exactly our descriptors */
	int extra = open("/dev/null", O_RDONLY);
	int fds[64], nf = 0;
	DIR *d = opendir("/proc/self/fd");
	int dfd = d ? dirfd(d) : -1;
	struct dirent *e;
	while (d && (e = readdir(d))) if (e->d_name[0] != '.' && nf < 64) fds[nf++] = atoi(e->d_name);
	if (d) closedir(d);
	int has0 = 0, has1 = 0, has2 = 0, hasx = 0, others = 0;
	for (int i = 0; i < nf; i++) {
		if (fds[i] == 0) has0 = 1; else if (fds[i] == 1) has1 = 1; else if (fds[i] == 2) has2 = 1;
		else if (fds[i] == extra) hasx = 1; else if (fds[i] != dfd) others++;
	}
	printf("/proc/self/fd: 0 %d 1 %d 2 %d opened %d other %d\n", has0, has1, has2, hasx, others);
	n = readlink("/proc/self/fd/3", buf, sizeof buf - 1);
	if (n > 0) buf[n] = 0;
	printf("/proc/self/fd/3 -> %s\n", n > 0 ? buf : errname(errno));
	write_file("named", "x");
	int nf2 = open("named", O_RDONLY);
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", nf2);
	n = readlink(p, buf, sizeof buf - 1);
	if (n > 0) buf[n] = 0;
	const char *nb = n > 0 ? strrchr(buf, '/') : NULL;
	printf("fd link basename: %s\n", nb ? nb + 1 : errname(errno));
	printf("cpuinfo has processor: %d\n", file_contains("/proc/cpuinfo", "processor"));
	printf("meminfo has MemTotal: %d\n", file_contains("/proc/meminfo", "MemTotal:"));
	(void)argc;
	return 0;
}
