/* mkdir, mkdirat, rmdir, unlink, unlinkat and their errors */
#include "common.h"

int main(void)
{
	umask(022);
	T(mkdir("a", 0777));
	T(mkdir("a", 0777));
	T(mkdir("a/b", 0700));
	T(mkdir("a/b/c", 0755));
	T(mkdir("x/y", 0755));
	T(mkdir("", 0755));
	write_file("file", "data");
	T(mkdir("file", 0755));
	T(mkdir("file/sub", 0755));
	T(rmdir("a"));
	T(rmdir("a/b/c"));
	T(rmdir("file"));
	T(rmdir("missing"));
	T(rmdir("a/b/."));
	T(unlink("a"));
	T(unlink("missing"));
	T(unlink("file/x"));
	int d = T(open("a", O_RDONLY | O_DIRECTORY));
	T(mkdirat(d, "m", 0750));
	T(mkdirat(d, "m", 0750));
	write_file("a/m/f", "x");
	T(unlinkat(d, "m", AT_REMOVEDIR));
	T(unlinkat(d, "m/f", 0));
	T(unlinkat(d, "m", 0));
	T(unlinkat(d, "m", AT_REMOVEDIR));
	T(unlinkat(d, "m", AT_REMOVEDIR));
	T(unlinkat(d, "b", 0x1234));
	T(close(d));
	struct stat st;
	T(stat("a/b", &st));
	printf("a/b mode %o\n", st.st_mode & 0777);
	T(stat("a", &st));
	printf("a mode %o nlink %ld\n", st.st_mode & 0777, (long)st.st_nlink);
	T(unlink("file"));
	T(unlink("file"));
	/* unlink an open file: still readable through the fd */
	write_file("open", "still here");
	int fd = open("open", O_RDONLY);
	T(unlink("open"));
	char buf[32] = {0};
	T(read(fd, buf, sizeof buf));
	printf("[%s]\n", buf);
	T(fstat(fd, &st));
	printf("nlink after unlink %ld\n", (long)st.st_nlink);
	T(close(fd));
	/* deep nesting */
	char path[512] = "deep";
	T(mkdir(path, 0755));
	for (int i = 0; i < 30; i++) { strcat(path, "/d"); if (mkdir(path, 0755)) { printf("deep %d: %s\n", i, errname(errno)); break; } }
	write_file("deep/d/d/d/d/d/d/d/d/d/leaf", "leaf");
	print_file("deep/d/d/d/d/d/d/d/d/d/leaf");
	/* name too long */
	char longname[400];
	memset(longname, 'n', 300); longname[300] = 0;
	T(mkdir(longname, 0755));
	return 0;
}
