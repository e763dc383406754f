/* /dev/null, /dev/zero, /dev/full (ENOSPC), /dev/urandom, /dev/stdout, /dev/stdin */
#include "common.h"

int main(void)
{
	char buf[4096];
	int fd = T(open("/dev/null", O_RDWR));
	T(read(fd, buf, sizeof buf));
	T(write(fd, "discarded", 9));
	T(write(fd, buf, sizeof buf));
	T(lseek(fd, 100, SEEK_SET));
	struct stat st;
	T(fstat(fd, &st));
	printf("/dev/null is %s\n", ftype(st.st_mode));
	T(close(fd));
	fd = T(open("/dev/zero", O_RDONLY));
	memset(buf, 1, sizeof buf);
	T(read(fd, buf, sizeof buf));
	int nz = 0;
	for (int i = 0; i < (int)sizeof buf; i++) nz += buf[i] != 0;
	printf("non-zero bytes from /dev/zero: %d\n", nz);
	fstat(fd, &st);
	printf("/dev/zero is %s\n", ftype(st.st_mode));
	T(close(fd));
	fd = T(open("/dev/full", O_WRONLY));
	T(write(fd, "x", 1));
	T(write(fd, buf, 0));
	T(close(fd));
	fd = T(open("/dev/full", O_RDONLY));
	T(read(fd, buf, 16));
	printf("/dev/full reads zeros: %s\n", buf[0] == 0 && buf[15] == 0 ? "yes" : "no");
	T(close(fd));
	fd = T(open("/dev/urandom", O_RDONLY));
	T(read(fd, buf, 100));
	T(close(fd));
	fd = T(open("/dev/stdout", O_WRONLY));
	fflush(stdout);
	T(write(fd, "via /dev/stdout\n", 16));
	T(close(fd));
	fd = T(open("/dev/stderr", O_WRONLY));
	T(close(fd));
	fd = T(open("/dev/stdin", O_RDONLY));
	T(read(fd, buf, sizeof buf));
	T(close(fd));
	T(access("/dev/null", R_OK | W_OK));
	/* /dev/tty: ENXIO without a controlling terminal (CI), a descriptor with one; same either way */
	fd = open("/dev/tty", O_RDWR);
	printf("open /dev/tty: %s\n", fd >= 0 ? "ok" : errname(errno));
	if (fd >= 0) close(fd);
	T(open("/dev/does-not-exist", O_RDONLY));
	/* a mmap of /dev/zero is anonymous memory */
	return 0;
}
