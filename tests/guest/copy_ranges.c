/* sendfile, copy_file_range, fallocate, posix_fadvise */
#include "common.h"
#include <sys/sendfile.h>

static unsigned sum_file(const char *p, long *len)
{
	char buf[4096]; unsigned s = 0; long n, t = 0;
	int fd = open(p, O_RDONLY);
	while ((n = read(fd, buf, sizeof buf)) > 0) { for (long i = 0; i < n; i++) s = s * 131 + (unsigned char)buf[i]; t += n; }
	close(fd);
	*len = t;
	return s;
}

int main(void)
{
	int src = open("src", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char block[1000];
	for (int i = 0; i < 300; i++) { memset(block, 'a' + i % 26, sizeof block); write(src, block, sizeof block); }
	long len;
	unsigned sum = sum_file("src", &len);
	printf("src sum %u len %ld\n", sum, len);
	int dst = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off = 500;
	T(lseek(src, 7, SEEK_SET));
	T(sendfile(dst, src, &off, 100000));
	printf("off now %ld\n", (long)off);
	T(lseek(src, 0, SEEK_CUR)); /* unchanged when offset pointer given */
	T(sendfile(dst, src, NULL, 50));
	T(lseek(src, 0, SEEK_CUR));
	T(sendfile(dst, src, NULL, 0));
	off = 300000;
	T(sendfile(dst, src, &off, 10));
	T(sendfile(-1, src, NULL, 10));
	T(sendfile(src, -1, NULL, 10));
	sum = sum_file("dst", &len);
	printf("dst sum %u len %ld\n", sum, len);
	/* sendfile to stdout */
	write_file("msg", "sent to stdout by sendfile\n");
	int m = open("msg", O_RDONLY);
	fflush(stdout);
	T(sendfile(1, m, NULL, 100));
	close(m);
	/* copy_file_range */
	int c = open("cfr", O_RDWR | O_CREAT | O_TRUNC, 0644);
	loff_t in = 1000, out = 10;
	long r = syscall(SYS_copy_file_range, src, &in, c, &out, 5000, 0);
	printf("copy_file_range = %ld in %ld out %ld\n", r, (long)in, (long)out);
	T(lseek(src, 0, SEEK_SET));
	r = syscall(SYS_copy_file_range, src, NULL, c, NULL, 20, 0);
	printf("copy_file_range (fd offsets) = %ld src pos %ld dst pos %ld\n", r, (long)lseek(src, 0, SEEK_CUR), (long)lseek(c, 0, SEEK_CUR));
	r = syscall(SYS_copy_file_range, src, NULL, c, NULL, 20, 1);
	printf("copy_file_range bad flags = %ld %s\n", r, errname(errno));
	int ro = open("cfr", O_RDONLY);
	r = syscall(SYS_copy_file_range, src, NULL, ro, NULL, 20, 0);
	printf("copy_file_range to read-only fd = %ld %s\n", r, errname(errno));
	close(ro);
	sum = sum_file("cfr", &len);
	printf("cfr sum %u len %ld\n", sum, len);
	/* fallocate */
	int f = open("falloc", O_RDWR | O_CREAT | O_TRUNC, 0644);
	T(fallocate(f, 0, 0, 65536));
	struct stat st;
	fstat(f, &st);
	printf("size after fallocate %ld, blocks allocated: %s\n", (long)st.st_size, st.st_blocks * 512 >= 65536 ? "yes" : "no");
	T(fallocate(f, FALLOC_FL_KEEP_SIZE, 65536, 65536));
	fstat(f, &st);
	printf("size after KEEP_SIZE %ld\n", (long)st.st_size);
	T(fallocate(f, 0, -1, 10));
	T(fallocate(f, 0, 0, 0));
	T(fallocate(-1, 0, 0, 10));
	T(posix_fallocate(f, 0, 100000) == 0);
	fstat(f, &st);
	printf("size after posix_fallocate %ld\n", (long)st.st_size);
	T(posix_fadvise(f, 0, 0, POSIX_FADV_SEQUENTIAL));
	T(posix_fadvise(f, 0, 0, POSIX_FADV_DONTNEED));
	T(posix_fadvise(f, 0, 0, 999));
	T(posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL));
	close(f);
	return 0;
}
