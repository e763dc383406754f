/* Shared helpers for the guest programs. Every program prints only deterministic facts (results,
 * errno names, relations), never addresses, pids or times, so native and rumplx output can be
 * compared byte for byte. */
#ifndef RUMPLX_GUEST_COMMON_H
#define RUMPLX_GUEST_COMMON_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

__attribute__((unused)) static const char *errname(int e)
{
	static char buf[32];
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD)
	E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR)
	E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS)
	E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(EOVERFLOW)
	E(EOPNOTSUPP) E(ETXTBSY) E(EDEADLK) E(ENOLCK)
#undef E
	case 0: return "OK";
	}
	snprintf(buf, sizeof buf, "E#%d", e);
	return buf;
}

/* Print "<expr> = <value>" or "<expr> = -1 <ERRNO>". Returns the value. */
__attribute__((unused)) static long report(const char *what, long r)
{
	int e = errno;
	if (r == -1)
		printf("%s = -1 %s\n", what, errname(e));
	else
		printf("%s = %ld\n", what, r);
	errno = e;
	return r;
}
#define T(expr) report(#expr, (long)(expr))

/* Print only success/failure: for calls whose success value is not deterministic. */
__attribute__((unused)) static long report_ok(const char *what, long r)
{
	int e = errno;
	if (r == -1)
		printf("%s: -1 %s\n", what, errname(e));
	else
		printf("%s: ok\n", what);
	errno = e;
	return r;
}
#define OK(expr) report_ok(#expr, (long)(expr))

/* Raw syscall returning -errno semantics printed the same way. */
#define SYS(...) report("syscall(" #__VA_ARGS__ ")", syscall(__VA_ARGS__))

#define CHECK(cond) printf("%s: %s\n", #cond, (cond) ? "yes" : "NO")

/* A new pseudo-terminal: answers its master (opened O_NOCTTY) and puts its slave's name in
 * `name`. On failure prints the step that failed and exits 1. */
__attribute__((unused)) static int open_pty(char *name, size_t size)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		printf("posix_openpt: %s\n", errname(errno));
		exit(1);
	}
	const char *n = ptsname(master);
	if (!n) {
		printf("ptsname: %s\n", errname(errno));
		exit(1);
	}
	snprintf(name, size, "%s", n);
	return master;
}

__attribute__((unused)) static void write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) { printf("write_file %s: %s\n", path, errname(errno)); return; }
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data)) printf("write_file %s: short\n", path);
	close(fd);
}

__attribute__((unused)) static void print_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) { printf("%s: open %s\n", path, errname(errno)); return; }
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) { printf("%s: read %s\n", path, errname(errno)); return; }
	buf[n] = 0;
	printf("%s: [%s]\n", path, buf);
}

__attribute__((unused)) static const char *ftype(mode_t m)
{
	if (S_ISREG(m)) return "regular";
	if (S_ISDIR(m)) return "directory";
	if (S_ISLNK(m)) return "symlink";
	if (S_ISFIFO(m)) return "fifo";
	if (S_ISCHR(m)) return "chardev";
	if (S_ISBLK(m)) return "blockdev";
	if (S_ISSOCK(m)) return "socket";
	return "?";
}

/* Line-buffer stdout so a crash mid-way still shows how far the program got. */
__attribute__((constructor)) static void guest_common_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}
#endif
