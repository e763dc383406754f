/* statfs, fstatfs: print relations, not values */
#include "common.h"
#include <sys/statfs.h>
#include <sys/statvfs.h>

int main(void)
{
	struct statfs a, b;
	T(statfs(".", &a));
	printf("bsize > 0: %s\n", a.f_bsize > 0 ? "yes" : "no");
	printf("bfree <= blocks: %s\n", a.f_bfree <= a.f_blocks ? "yes" : "no");
	printf("bavail <= bfree: %s\n", a.f_bavail <= a.f_bfree ? "yes" : "no");
	printf("namelen >= 255: %s\n", a.f_namelen >= 255 ? "yes" : "no");
	printf("ffree <= files: %s\n", a.f_ffree <= a.f_files ? "yes" : "no");
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	T(fstatfs(fd, &b));
	printf("fstatfs same type and bsize: %s\n", a.f_type == b.f_type && a.f_bsize == b.f_bsize ? "yes" : "no");
	T(statfs("missing", &a));
	T(fstatfs(-1, &a));
	SYS(SYS_statfs, ".", (void *)1);
	struct statvfs v;
	T(statvfs(".", &v));
	printf("statvfs frsize > 0: %s\n", v.f_frsize > 0 ? "yes" : "no");
	T(statfs("/dev/null", &a));
	close(fd);
	return 0;
}
