/* utimensat, futimens, utimes, futimesat with fixed times */
#include "common.h"
#include <sys/time.h>

static void show(const char *p, int flags)
{
	struct stat st;
	if (fstatat(AT_FDCWD, p, &st, flags)) { printf("stat %s: %s\n", p, errname(errno)); return; }
	printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", p, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(void)
{
	write_file("f", "x");
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
	T(utimensat(AT_FDCWD, "f", ts, 0));
	show("f", 0);
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 1500000000, 0 } };
	T(utimensat(AT_FDCWD, "f", omit, 0));
	show("f", 0);
	struct timespec omit2[2] = { { 1600000000, 5 }, { 0, UTIME_OMIT } };
	T(utimensat(AT_FDCWD, "f", omit2, 0));
	show("f", 0);
	symlink("f", "l");
	struct timespec lt[2] = { { 1100000000, 0 }, { 1200000000, 0 } };
	T(utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
	show("l", AT_SYMLINK_NOFOLLOW);
	show("f", 0);
	int fd = open("f", O_RDONLY);
	struct timespec ft[2] = { { 1300000000, 1000 }, { 1400000000, 2000 } };
	T(futimens(fd, ft));
	show("f", 0);
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	T(utimensat(AT_FDCWD, "f", bad, 0));
	T(utimensat(AT_FDCWD, "missing", ts, 0));
	T(utimensat(AT_FDCWD, "f", ts, 0x4000));
	struct timeval tv[2] = { { 1700000000, 250000 }, { 1700000001, 500000 } };
	T(utimes("f", tv));
	show("f", 0);
	T(syscall(SYS_futimesat, AT_FDCWD, "f", tv));
	show("f", 0);
	/* NULL times means "now": just check it moved past the fixed value */
	T(utimensat(AT_FDCWD, "f", NULL, 0));
	struct stat st;
	stat("f", &st);
	printf("now > 2020: %s\n", st.st_mtime > 1577836800 ? "yes" : "no");
	struct timespec now[2] = { { 0, UTIME_NOW }, { 1000, UTIME_OMIT } };
	T(utimensat(AT_FDCWD, "f", now, 0));
	mkdir("d", 0755);
	T(utimensat(AT_FDCWD, "d", ts, 0));
	show("d", 0);
	close(fd);
	return 0;
}
