/* truncate, ftruncate: grow (zero fill), shrink, errors */
#include "common.h"

static void sz(const char *p)
{
	struct stat st;
	stat(p, &st);
	printf("size(%s) = %ld\n", p, (long)st.st_size);
}

int main(void)
{
	write_file("f", "0123456789");
	T(truncate("f", 4)); sz("f"); print_file("f");
	T(truncate("f", 8)); sz("f");
	char buf[16];
	int fd = open("f", O_RDWR);
	T(read(fd, buf, sizeof buf));
	printf("bytes: %02x %02x %02x %02x %02x %02x %02x %02x\n", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7]);
	T(ftruncate(fd, 0)); sz("f");
	T(lseek(fd, 0, SEEK_CUR));
	T(write(fd, "X", 1));
	sz("f");
	T(ftruncate(fd, 1 << 20)); sz("f");
	T(ftruncate(fd, -1));
	T(truncate("f", -5));
	T(truncate("missing", 1));
	mkdir("d", 0755);
	T(truncate("d", 0));
	T(ftruncate(-1, 0));
	int ro = open("f", O_RDONLY);
	T(ftruncate(ro, 0));
	close(ro);
	int p[2];
	pipe(p);
	T(ftruncate(p[0], 0));
	T(ftruncate(fd, 3));
	T(fsync(fd));
	T(fdatasync(fd));
	T(close(fd));
	sz("f");
	fd = open("f", O_RDONLY);
	memset(buf, 'q', sizeof buf);
	T(read(fd, buf, sizeof buf));
	printf("bytes %d %d %d\n", buf[0], buf[1], buf[2]);
	close(fd);
	return 0;
}
