/* getcwd, chdir, fchdir */
#include "common.h"

static char base[4096];

static void pwd(void)
{
	char buf[4096];
	if (!getcwd(buf, sizeof buf)) { printf("getcwd: %s\n", errname(errno)); return; }
	size_t n = strlen(base);
	if (!strncmp(buf, base, n)) printf("cwd: <start>%s\n", buf + n);
	else printf("cwd: %s\n", buf);
}

int main(void)
{
	if (!getcwd(base, sizeof base)) { printf("getcwd: %s\n", errname(errno)); return 1; }
	printf("absolute: %s\n", base[0] == '/' ? "yes" : "no");
	mkdir("a", 0755);
	mkdir("a/b", 0755);
	write_file("a/b/f", "in b");
	T(chdir("a"));
	pwd();
	T(chdir("b"));
	pwd();
	print_file("f");
	print_file("../b/f");
	T(chdir(".."));
	pwd();
	T(chdir("missing"));
	T(chdir("b/f"));
	T(chdir(""));
	pwd();
	int d = open(".", O_RDONLY | O_DIRECTORY);
	T(chdir("/"));
	pwd();
	T(fchdir(d));
	pwd();
	int f = open("b/f", O_RDONLY);
	T(fchdir(f));
	T(fchdir(-1));
	T(fchdir(12345));
	close(d);
	close(f);
	char small[4];
	T(getcwd(small, sizeof small) == NULL);
	printf("errno %s\n", errname(errno));
	T(getcwd(small, 0) == NULL);
	printf("errno %s\n", errname(errno));
	long r = syscall(SYS_getcwd, small, 2);
	printf("raw getcwd small: %ld %s\n", r, errname(errno));
	char big[4096];
	r = syscall(SYS_getcwd, big, sizeof big);
	printf("raw getcwd returns length incl. NUL: %s\n", r == (long)strlen(big) + 1 ? "yes" : "no");
	/* chdir into a symlinked dir; getcwd shows the real path */
	symlink("a/b", "../sl-unused") ;
	T(chdir(base));
	symlink("a/b", "lnk");
	T(chdir("lnk"));
	pwd();
	/* removed cwd */
	T(chdir(base));
	mkdir("gone", 0755);
	T(chdir("gone"));
	T(rmdir("../gone"));
	char buf[4096];
	char *p = getcwd(buf, sizeof buf);
	printf("getcwd in removed dir: %s\n", p ? (strstr(p, "(deleted)") ? "deleted-suffix" : "path") : errname(errno));
	T(open("newfile", O_CREAT | O_WRONLY, 0644));
	T(chdir(base));
	pwd();
	return 0;
}
