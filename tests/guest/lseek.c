/* lseek: SEEK_SET/CUR/END, beyond end, negative, on pipes */
#include "common.h"

int main(void)
{
	char buf[32] = {0};
	int fd = T(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	T(write(fd, "abcdefghij", 10));
	T(lseek(fd, 0, SEEK_SET));
	T(lseek(fd, 3, SEEK_CUR));
	T(read(fd, buf, 2));
	printf("[%s]\n", buf);
	T(lseek(fd, -4, SEEK_END));
	T(read(fd, buf, 10));
	printf("[%.4s]\n", buf);
	T(lseek(fd, 0, SEEK_END));
	T(lseek(fd, 100, SEEK_END));
	T(read(fd, buf, 10));
	T(write(fd, "Z", 1));
	struct stat st;
	fstat(fd, &st);
	printf("size after write past end: %ld\n", (long)st.st_size);
	T(lseek(fd, -1, SEEK_SET));
	T(lseek(fd, -1000, SEEK_CUR));
	T(lseek(fd, 0, 42));
	T(lseek(fd, 0, SEEK_CUR));
	T(lseek(fd, 0x7fffffffLL + 10, SEEK_SET));
	T(lseek(999, 0, SEEK_SET));
	int p[2];
	T(pipe(p));
	T(lseek(p[0], 0, SEEK_SET));
	T(lseek(p[1], 0, SEEK_CUR));
	T(close(p[0]));
	T(close(p[1]));
	int d = T(open(".", O_RDONLY | O_DIRECTORY));
	T(lseek(d, 0, SEEK_SET));
	T(close(d));
	T(close(fd));
	return 0;
}
