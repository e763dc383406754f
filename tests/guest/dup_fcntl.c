/* dup, dup2, dup3, fcntl: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL */
#include "common.h"

int main(void)
{
	write_file("f", "abcdef");
	int fd = T(open("f", O_RDWR));
	int d1 = T(dup(fd));
	T(lseek(fd, 2, SEEK_SET));
	T(lseek(d1, 0, SEEK_CUR)); /* shared offset */
	T(dup2(fd, 10));
	T(dup2(fd, fd));
	T(dup2(fd, -1));
	T(dup2(99, 11));
	T(dup2(d1, 10)); /* replaces */
	T(fcntl(10, F_GETFD));
	T(dup3(fd, 12, O_CLOEXEC));
	T(fcntl(12, F_GETFD));
	T(dup3(fd, fd, 0));
	SYS(SYS_dup3, fd, 13, 0x4);
	T(fcntl(fd, F_DUPFD, 20));
	T(fcntl(fd, F_DUPFD, 20));
	T(fcntl(fd, F_DUPFD_CLOEXEC, 0));
	T(fcntl(fd, F_GETFD));
	T(fcntl(fd, F_SETFD, FD_CLOEXEC));
	T(fcntl(fd, F_GETFD));
	T(fcntl(d1, F_GETFD)); /* per-descriptor flag */
	T(fcntl(fd, F_SETFD, 0));
	T(fcntl(fd, F_GETFD));
	T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(d1, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK)); /* shared file status */
	T(write(d1, "Z", 1));
	print_file("f");
	T(fcntl(fd, F_SETFL, 0));
	T(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	T(fcntl(fd, F_SETFL, O_RDONLY)); /* access mode can't change */
	T(fcntl(fd, F_GETFL) & O_ACCMODE);
	T(fcntl(-1, F_GETFD));
	T(fcntl(fd, 9999));
	T(fcntl(fd, F_DUPFD, -1));
	T(close(10));
	T(close(10));
	T(dup(12345));
	/* dup onto stdout then restore */
	fflush(stdout);
	int saved = T(dup(1));
	int out = open("redirected", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(out, 1);
	printf("this goes to the file\n");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(out);
	print_file("redirected");
	/* fill low descriptors and see numbering */
	int fds[8];
	for (int i = 0; i < 8; i++) fds[i] = dup(fd);
	printf("dups:");
	for (int i = 0; i < 8; i++) printf(" %d", fds[i]);
	printf("\n");
	return 0;
}
