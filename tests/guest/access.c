/* access, faccessat, faccessat2 */
#include "common.h"

int main(void)
{
	write_file("rw", "x"); chmod("rw", 0644);
	write_file("ro", "x"); chmod("ro", 0444);
	write_file("x", "x"); chmod("x", 0755);
	write_file("none", "x"); chmod("none", 0000);
	mkdir("d", 0755);
	symlink("rw", "l");
	symlink("gone", "dangling");
	printf("running as root: %s\n", geteuid() == 0 ? "yes" : "no");
	const char *files[] = { "rw", "ro", "x", "none", "d", "l", "dangling", "missing", "rw/sub" };
	int modes[] = { F_OK, R_OK, W_OK, X_OK, R_OK | W_OK };
	const char *mn[] = { "F_OK", "R_OK", "W_OK", "X_OK", "R_OK|W_OK" };
	for (unsigned i = 0; i < sizeof files / sizeof *files; i++)
		for (unsigned j = 0; j < 5; j++) {
			int r = access(files[i], modes[j]);
			printf("access(%s, %s) = %d %s\n", files[i], mn[j], r, r ? errname(errno) : "");
		}
	int d = open("d", O_RDONLY | O_DIRECTORY);
	write_file("d/in", "y");
	T(faccessat(d, "in", R_OK, 0));
	T(faccessat(d, "nope", F_OK, 0));
	T(faccessat(AT_FDCWD, "rw", W_OK, AT_EACCESS));
	T(faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	T(access("rw", 0x40));
	T(syscall(SYS_faccessat, AT_FDCWD, "rw", R_OK));
#ifdef SYS_faccessat2
	T(syscall(SYS_faccessat2, AT_FDCWD, "rw", R_OK, 0));
	T(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	T(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0));
	T(syscall(SYS_faccessat2, AT_FDCWD, "rw", R_OK, 0x7000000));
#else
	T(syscall(439, AT_FDCWD, "rw", R_OK, 0));
	T(syscall(439, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	T(syscall(439, AT_FDCWD, "dangling", F_OK, 0));
	T(syscall(439, AT_FDCWD, "rw", R_OK, 0x7000000));
#endif
	T(access((char *)1, F_OK));
	return 0;
}
