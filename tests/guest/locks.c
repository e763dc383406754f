/* fcntl record locks (F_SETLK, F_GETLK, F_OFD_*) and flock between open file descriptions */
#include "common.h"
#include <sys/file.h>

static void getlk(int fd, int type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, F_GETLK, &fl)) { printf("F_GETLK: %s\n", errname(errno)); return; }
	printf("F_GETLK -> %s\n", fl.l_type == F_UNLCK ? "unlocked" : fl.l_type == F_WRLCK ? "write-locked" : "read-locked");
}

int main(void)
{
	write_file("f", "0123456789");
	int a = open("f", O_RDWR);
	int b = open("f", O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	T(fcntl(a, F_SETLK, &fl));
	getlk(a, F_WRLCK, 0, 5); /* own process's locks never conflict */
	fl.l_type = F_RDLCK;
	T(fcntl(b, F_SETLK, &fl)); /* same process: replaces */
	fl.l_type = F_UNLCK;
	T(fcntl(a, F_SETLK, &fl));
	fl.l_type = 42;
	T(fcntl(a, F_SETLK, &fl));
	int ro = open("f", O_RDONLY);
	fl.l_type = F_WRLCK;
	T(fcntl(ro, F_SETLK, &fl)); /* write lock needs write access */
	fl.l_type = F_RDLCK;
	T(fcntl(ro, F_SETLKW, &fl));
	fl.l_type = F_UNLCK;
	T(fcntl(ro, F_SETLK, &fl));
	T(fcntl(-1, F_SETLK, &fl));
	/* open file description locks conflict between descriptions even in one process */
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	T(fcntl(a, F_OFD_SETLK, &ofd));
	T(fcntl(b, F_OFD_SETLK, &ofd));
	printf("errno %s\n", errname(errno));
	struct flock q = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1 };
	T(fcntl(b, F_OFD_GETLK, &q));
	printf("ofd getlk: %s start %ld\n", q.l_type == F_WRLCK ? "write-locked" : q.l_type == F_UNLCK ? "unlocked" : "read-locked", (long)q.l_start);
	ofd.l_type = F_UNLCK;
	T(fcntl(a, F_OFD_SETLK, &ofd));
	ofd.l_type = F_WRLCK;
	T(fcntl(b, F_OFD_SETLK, &ofd));
	ofd.l_type = F_UNLCK;
	T(fcntl(b, F_OFD_SETLK, &ofd));
	/* flock */
	T(flock(a, LOCK_EX));
	T(flock(b, LOCK_EX | LOCK_NB));
	printf("errno %s\n", errname(errno));
	T(flock(b, LOCK_SH | LOCK_NB));
	int a2 = dup(a);
	T(flock(a2, LOCK_EX | LOCK_NB)); /* same description: fine */
	T(flock(a, LOCK_UN));
	T(flock(b, LOCK_SH | LOCK_NB));
	T(flock(ro, LOCK_SH | LOCK_NB));
	T(flock(a, LOCK_EX | LOCK_NB));
	T(flock(b, LOCK_UN));
	T(flock(ro, LOCK_UN));
	T(flock(a, LOCK_EX | LOCK_NB));
	T(flock(a, 0));
	T(flock(-1, LOCK_EX));
	/* closing the last fd of a description drops its flock */
	T(close(a));
	T(close(a2));
	T(flock(b, LOCK_EX | LOCK_NB));
	T(close(b));
	T(close(ro));
	return 0;
}
