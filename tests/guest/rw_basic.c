/* read, write, readv, writev, pread, pwrite, preadv, pwritev */
#include "common.h"
#include <sys/uio.h>

int main(void)
{
	char buf[64];
	int fd = T(open("data", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(write(fd, "hello, world\n", 13));
	T(write(fd, "", 0));
	struct iovec iov[3] = { { "abc", 3 }, { "", 0 }, { "defgh\n", 6 } };
	T(writev(fd, iov, 3));
	T(lseek(fd, 0, SEEK_CUR));
	T(pwrite(fd, "HELLO", 5, 0));
	T(lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	T(pread(fd, buf, sizeof buf - 1, 0));
	printf("pread: [%s]\n", buf);
	T(lseek(fd, 0, SEEK_SET));
	char a[5] = {0}, b[8] = {0}, c[20] = {0};
	struct iovec riov[3] = { { a, 4 }, { b, 7 }, { c, 19 } };
	T(readv(fd, riov, 3));
	printf("readv: [%s] [%s] [%s]\n", a, b, c);
	T(read(fd, buf, sizeof buf));
	struct iovec piov[2] = { { "XY", 2 }, { "Z", 1 } };
	T(pwritev(fd, piov, 2, 7));
	char p1[4] = {0}, p2[6] = {0};
	struct iovec rpiov[2] = { { p1, 3 }, { p2, 5 } };
	T(preadv(fd, rpiov, 2, 5));
	printf("preadv: [%s] [%s]\n", p1, p2);
	T(lseek(fd, 0, SEEK_CUR));
	/* pwrite beyond end leaves a hole of zeros */
	T(pwrite(fd, "!", 1, 40));
	memset(buf, 'x', sizeof buf);
	T(pread(fd, buf, 64, 20));
	int zeros = 0;
	for (int i = 0; i < 20; i++) zeros += buf[i] == 0;
	printf("zeros in hole: %d, last byte: %c\n", zeros, buf[20]);
	/* large-ish write + read in odd chunk sizes */
	char big[10000];
	for (int i = 0; i < (int)sizeof big; i++) big[i] = 'a' + i % 26;
	T(pwrite(fd, big, sizeof big, 100));
	unsigned sum = 0; ssize_t n; off_t off = 100;
	while ((n = pread(fd, buf, 37, off)) > 0) { for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i]; off += n; }
	printf("sum %u end %ld\n", sum, (long)off);
	/* errors */
	T(pread(fd, buf, 1, -1));
	T(write(-1, "x", 1));
	int rd = T(open("data", O_RDONLY));
	T(write(rd, "x", 1));
	int wr = T(open("data", O_WRONLY));
	T(read(wr, buf, 1));
	T(close(rd));
	T(close(wr));
	T(close(fd));
	T(close(fd));
	/* writev to stdout directly */
	struct iovec out[2] = { { "via ", 4 }, { "writev\n", 7 } };
	fflush(stdout);
	T(writev(1, out, 2));
	return 0;
}
