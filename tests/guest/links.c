/* link, linkat, symlink, symlinkat, readlink, readlinkat */
#include "common.h"

static void nl(const char *p)
{
	struct stat st;
	if (lstat(p, &st)) printf("nlink(%s): %s\n", p, errname(errno));
	else printf("nlink(%s) = %ld\n", p, (long)st.st_nlink);
}

int main(void)
{
	char buf[256];
	write_file("f", "file");
	T(link("f", "h1"));
	T(link("f", "h1"));
	T(link("missing", "h2"));
	mkdir("d", 0755);
	T(link("d", "dlink"));
	nl("f");
	int d = open("d", O_RDONLY | O_DIRECTORY);
	T(linkat(AT_FDCWD, "f", d, "h3", 0));
	nl("f");
	T(unlink("h1"));
	nl("f");
	T(symlink("f", "s1"));
	T(symlink("f", "s1"));
	T(symlink("../f", "d/s2"));
	T(symlink("dangling-target", "s3"));
	T(symlinkat("d/h3", d, "s4"));
	T(symlinkat("", AT_FDCWD, "s5"));
	memset(buf, 0, sizeof buf);
	T(readlink("s1", buf, sizeof buf));
	printf("s1 -> [%s]\n", buf);
	memset(buf, 0, sizeof buf);
	T(readlinkat(d, "s2", buf, sizeof buf));
	printf("d/s2 -> [%s]\n", buf);
	memset(buf, 0, sizeof buf);
	T(readlink("s3", buf, sizeof buf));
	printf("s3 -> [%s]\n", buf);
	memset(buf, 0, sizeof buf);
	T(readlink("d/s4", buf, 3));
	printf("truncated: [%s]\n", buf);
	T(readlink("f", buf, sizeof buf));
	T(readlink("missing", buf, sizeof buf));
	T(readlink("s1", buf, 0));
	print_file("d/s2");
	print_file("s3");
	/* linkat following a symlink vs not */
	T(linkat(AT_FDCWD, "s1", AT_FDCWD, "hl-nofollow", 0));
	T(linkat(AT_FDCWD, "s1", AT_FDCWD, "hl-follow", AT_SYMLINK_FOLLOW));
	struct stat st;
	lstat("hl-nofollow", &st);
	printf("hl-nofollow is %s\n", ftype(st.st_mode));
	lstat("hl-follow", &st);
	printf("hl-follow is %s\n", ftype(st.st_mode));
	nl("f");
	/* symlink loop */
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	T(open("loop1", O_RDONLY));
	T(stat("loop1", &st));
	/* symlink to directory traversal */
	symlink("d", "dl");
	write_file("dl/through", "via link");
	print_file("d/through");
	T(unlink("dl"));
	T(access("d/through", F_OK));
	close(d);
	return 0;
}
