/* rename, renameat, renameat2 (0 and RENAME_NOREPLACE) */
#include "common.h"
#include <stdio.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif
#define renameat2_(a, b, c, d, f) syscall(SYS_renameat2, a, b, c, d, f)

int main(void)
{
	write_file("a", "AAA");
	write_file("b", "BBB");
	mkdir("d", 0755);
	mkdir("e", 0755);
	write_file("e/inside", "in e");
	T(rename("a", "a2"));
	T(rename("a", "a3"));
	print_file("a2");
	T(rename("a2", "b"));
	print_file("b");
	T(access("a2", F_OK));
	T(rename("b", "d/b"));
	T(rename("d", "d2"));
	print_file("d2/b");
	T(rename("d2", "e"));
	T(rename("d2", "d2/sub"));
	T(rename("d2/b", "e"));
	T(rename("e", "d2/b"));
	T(rename("d2/b", "d2/b"));
	T(rename("missing", "x"));
	T(rename("d2/b", "nodir/x"));
	int d = open("d2", O_RDONLY | O_DIRECTORY);
	T(renameat(d, "b", AT_FDCWD, "c"));
	T(renameat(AT_FDCWD, "c", d, "c"));
	print_file("d2/c");
	write_file("x", "X");
	write_file("y", "Y");
	T(renameat2_(AT_FDCWD, "x", AT_FDCWD, "y", RENAME_NOREPLACE));
	print_file("y");
	T(renameat2_(AT_FDCWD, "x", AT_FDCWD, "z", RENAME_NOREPLACE));
	print_file("z");
	T(renameat2_(AT_FDCWD, "z", AT_FDCWD, "y", 0));
	print_file("y");
	T(renameat2_(d, "c", AT_FDCWD, "c-top", 0));
	T(renameat2_(AT_FDCWD, "y", AT_FDCWD, "w", 0x80));
	T(renameat2_(AT_FDCWD, "y", AT_FDCWD, "w", RENAME_NOREPLACE | RENAME_EXCHANGE));
	T(close(d));
	/* rename keeps an open fd valid */
	int fd = open("y", O_RDONLY);
	T(rename("y", "y-moved"));
	char buf[8] = {0};
	T(read(fd, buf, 7));
	printf("[%s]\n", buf);
	close(fd);
	/* rename a symlink renames the link */
	symlink("y-moved", "ln");
	T(rename("ln", "ln2"));
	char t[64] = {0};
	T(readlink("ln2", t, sizeof t));
	printf("ln2 -> %s\n", t);
	return 0;
}
