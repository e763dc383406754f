/* terminal ioctls on a real terminal (stdin is a fresh pty of 24x80 in this test): TCGETS/TCSETS*,
 * TIOCGWINSZ/TIOCSWINSZ, FIONREAD, FIONBIO, isatty (the calls issue 2 lists) */
#include "common.h"
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>

int main(void)
{
	struct termios t;
	struct winsize ws;
	T(isatty(0));
	T(tcgetattr(0, &t));
	printf("ICANON %d ECHO %d ISIG %d OPOST %d ICRNL %d CS8 %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO), !!(t.c_lflag & ISIG),
	       !!(t.c_oflag & OPOST), !!(t.c_iflag & ICRNL), (t.c_cflag & CSIZE) == CS8);
	printf("VINTR %d VEOF %d VERASE %d VMIN %d VTIME %d\n", t.c_cc[VINTR], t.c_cc[VEOF], t.c_cc[VERASE], t.c_cc[VMIN], t.c_cc[VTIME]);
	printf("speed %s\n", cfgetospeed(&t) == B38400 ? "38400" : "other");
	T(ioctl(0, TIOCGWINSZ, &ws));
	printf("winsize %dx%d\n", ws.ws_row, ws.ws_col);
	ws.ws_row = 50;
	ws.ws_col = 132;
	T(ioctl(0, TIOCSWINSZ, &ws));
	memset(&ws, 0, sizeof ws);
	T(ioctl(0, TIOCGWINSZ, &ws));
	printf("winsize now %dx%d\n", ws.ws_row, ws.ws_col);
	/* raw mode and back */
	struct termios raw = t;
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 3;
	T(tcsetattr(0, TCSANOW, &raw));
	struct termios got;
	T(tcgetattr(0, &got));
	printf("raw: ICANON %d ECHO %d OPOST %d VMIN %d VTIME %d\n", !!(got.c_lflag & ICANON), !!(got.c_lflag & ECHO), !!(got.c_oflag & OPOST), got.c_cc[VMIN], got.c_cc[VTIME]);
	T(tcsetattr(0, TCSADRAIN, &t));
	T(tcsetattr(0, TCSAFLUSH, &t));
	T(tcgetattr(0, &got));
	printf("restored: ICANON %d ECHO %d\n", !!(got.c_lflag & ICANON), !!(got.c_lflag & ECHO));
	T(tcsetattr(0, 99, &t));
	int n = -1;
	T(ioctl(0, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	int on = 1;
	T(ioctl(0, FIONBIO, &on));
	char c;
	T(read(0, &c, 1));
	on = 0;
	T(ioctl(0, FIONBIO, &on));
	/* not our controlling terminal: no process group to report */
	errno = 0;
	printf("tcgetpgrp: %s\n", tcgetpgrp(0) < 0 ? errname(errno) : "a group");
	/* queues: tcflush (TCFLSH), tcdrain (TCSBRK 1), tcflow (TCXONC), TIOCOUTQ */
	T(tcflush(0, TCIFLUSH));
	T(tcflush(0, TCOFLUSH));
	T(tcflush(0, TCIOFLUSH));
	T(tcflush(0, 42));
	T(tcdrain(0));
	T(tcflow(0, TCOOFF));
	T(tcflow(0, TCOON));
	n = -1;
	T(ioctl(0, TIOCOUTQ, &n));
	printf("TIOCOUTQ %d\n", n);
	/* job control on a terminal that is not the controlling one, by a non-leader */
	pid_t pg = 0;
	T(ioctl(0, TIOCGPGRP, &pg));
	pg = getpgrp();
	T(ioctl(0, TIOCSPGRP, &pg));
	T(ioctl(0, TIOCGSID, &pg));
	T(ioctl(0, TIOCSCTTY, 0));
	T(ioctl(0, TIOCNOTTY));
	/* ttyname: /proc/self/fd/0 names the pty, and its stat agrees with fstat(0) */
	char *name = ttyname(0);
	printf("ttyname(0): %s\n", !name ? errname(errno) : strncmp(name, "/dev/pts/", 9) == 0 ? "/dev/pts/N" : name);
	char link[256] = "";
	ssize_t ln = readlink("/proc/self/fd/0", link, sizeof link - 1);
	if (ln > 0) link[ln] = 0;
	printf("/proc/self/fd/0 -> %s\n", strncmp(link, "/dev/pts/", 9) == 0 ? "/dev/pts/N" : link);
	struct stat sa, sb;
	if (name && stat(name, &sa) == 0 && fstat(0, &sb) == 0)
		printf("stat(ttyname) matches fstat(0): dev %d ino %d rdev %d chr %d\n", sa.st_dev == sb.st_dev, sa.st_ino == sb.st_ino,
		       sa.st_rdev == sb.st_rdev, S_ISCHR(sa.st_mode) && S_ISCHR(sb.st_mode));
	errno = 0;
	printf("ttyname(1): %s\n", ttyname(1) ? "a name" : errname(errno));
	/* the same requests on stdout (a pipe) still fail */
	T(tcgetattr(1, &got));
	T(ioctl(1, TIOCGWINSZ, &ws));
	T(tcflush(1, TCIFLUSH));
	T(tcdrain(1));
	T(tcflow(1, TCOON));
	T(ioctl(1, TIOCGPGRP, &pg));
	T(ioctl(1, TIOCSCTTY, 0));
	T(ioctl(1, TIOCNOTTY));
	return 0;
}
