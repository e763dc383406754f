/* ioctl: terminal requests on non-terminals, FIONREAD, FIONBIO, isatty */
#include "common.h"
#include <sys/ioctl.h>
#include <termios.h>

int main(void)
{
	struct termios t;
	struct winsize ws;
	write_file("f", "12345");
	int fd = open("f", O_RDWR);
	T(ioctl(fd, TCGETS, &t));
	T(ioctl(fd, TIOCGWINSZ, &ws));
	T(ioctl(fd, TCSETS, &t));
	T(tcgetattr(fd, &t));
	T(isatty(fd));
	printf("errno %s\n", errname(errno));
	int n = -1;
	T(ioctl(fd, FIONREAD, &n));
	printf("FIONREAD on file %d\n", n);
	int nul = open("/dev/null", O_RDWR);
	T(ioctl(nul, TCGETS, &t));
	T(isatty(nul));
	T(isatty(1)); /* stdout is a pipe in the test */
	T(isatty(0)); /* stdin is /dev/null or a pipe */
	T(ioctl(-1, TCGETS, &t));
	T(ioctl(99, FIONREAD, &n));
	int p[2];
	pipe(p);
	write(p[1], "abc", 3);
	T(ioctl(p[0], FIONREAD, &n));
	printf("FIONREAD on pipe %d\n", n);
	T(ioctl(p[0], TCGETS, &t));
	int on = 1;
	char c[8];
	read(p[0], c, 3);
	T(ioctl(p[0], FIONBIO, &on));
	T(read(p[0], c, 1));
	T(fcntl(p[0], F_GETFL) & O_NONBLOCK ? 1 : 0);
	on = 0;
	T(ioctl(p[0], FIONBIO, &on));
	T(fcntl(p[0], F_GETFL) & O_NONBLOCK ? 1 : 0);
	T(ioctl(fd, 0x12345678, 0));
	T(ioctl(p[0], FIONREAD, (int *)1));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	T(ioctl(d, TCGETS, &t));
	return 0;
}
