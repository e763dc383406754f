/* errno cases: ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY, EBADF, EFAULT (bad pointers), ELOOP,
 * ENAMETOOLONG, EINVAL; raw syscalls so no libc wrapper hides the kernel's answer */
#include "common.h"
#include <sys/uio.h>
#include <time.h>
#include <sys/mman.h>

int main(void)
{
	write_file("file", "content");
	mkdir("dir", 0755);
	write_file("dir/x", "x");
	char *bad = (char *)1;
	char buf[64];
	puts("-- ENOENT");
	T(open("nope", O_RDONLY));
	T(open("nope/deeper", O_RDONLY));
	T(stat("nope", (struct stat *)buf));
	T(unlink("nope"));
	T(chdir("nope"));
	puts("-- EEXIST");
	T(open("file", O_CREAT | O_EXCL | O_WRONLY, 0644));
	T(mkdir("dir", 0755));
	T(link("file", "dir/x"));
	T(symlink("a", "file"));
	puts("-- ENOTDIR");
	T(open("file/x", O_RDONLY));
	T(mkdir("file/sub", 0755));
	T(rmdir("file"));
	T(open("file", O_RDONLY | O_DIRECTORY));
	puts("-- EISDIR");
	T(open("dir", O_WRONLY));
	T(unlink("dir"));
	int d = open("dir", O_RDONLY);
	T(read(d, buf, 10));
	close(d);
	puts("-- ENOTEMPTY");
	T(rmdir("dir"));
	T(rename("file", "dir"));
	puts("-- EBADF");
	T(read(-1, buf, 1));
	T(read(1000, buf, 1));
	T(write(77, "x", 1));
	T(close(-5));
	T(fstat(55, (struct stat *)buf));
	T(lseek(55, 0, SEEK_SET));
	T(dup(55));
	T(fsync(55));
	puts("-- EFAULT");
	int fd = open("file", O_RDONLY);
	SYS(SYS_read, fd, bad, 10);
	SYS(SYS_read, fd, (void *)0xffffffffffff0000UL, 10);
	SYS(SYS_write, 1, bad, 10);
	SYS(SYS_write, 1, (void *)-4096L, 1);
	SYS(SYS_stat, bad, buf);
	SYS(SYS_stat, "file", bad);
	SYS(SYS_open, bad, O_RDONLY);
	SYS(SYS_openat, AT_FDCWD, (void *)0x10, O_RDONLY);
	SYS(SYS_fstat, fd, bad);
	SYS(SYS_getcwd, bad, 100);
	SYS(SYS_readlink, "file", bad, 10);
	SYS(SYS_mkdir, bad, 0755);
	SYS(SYS_unlink, bad);
	SYS(SYS_uname, bad);
	SYS(SYS_clock_gettime, CLOCK_REALTIME, bad);
	SYS(SYS_pipe, bad);
	SYS(SYS_getdents64, open("dir", O_RDONLY), bad, 4096);
	struct iovec iov[2] = { { buf, 4 }, { bad, 4 } };
	SYS(SYS_readv, fd, bad, 2);
	printf("readv with one bad iovec base: %ld\n", syscall(SYS_readv, fd, iov, 2) < 0 ? (long)-errno : 1L);
	SYS(SYS_write, 1, NULL, 0);
	SYS(SYS_read, fd, NULL, 0);
	close(fd);
	puts("-- ELOOP / ENAMETOOLONG / EINVAL");
	symlink("self", "self");
	T(open("self", O_RDONLY));
	char longp[5000];
	memset(longp, 'a', sizeof longp - 1); longp[sizeof longp - 1] = 0;
	T(open(longp, O_RDONLY));
	T(lseek(0, 0, 99));
	T(fcntl(0, 12345));
	T(syscall(SYS_openat, AT_FDCWD, "file", O_RDONLY | O_CREAT, 0644) >= 0);
	SYS(SYS_read, 0, buf, -1L);
	puts("-- huge lengths");
	fd = open("file", O_RDONLY);
	SYS(SYS_read, fd, buf, 1UL << 40);
	SYS(SYS_pread64, fd, buf, 1UL << 40, 0);
	SYS(SYS_read, fd, buf, (size_t)-1);
	SYS(SYS_mmap, 0, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SYS(SYS_mmap, 0, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SYS(SYS_readv, fd, iov, 1 << 20);
	struct iovec huge[2] = { { buf, (size_t)1 << 62 }, { buf, (size_t)1 << 62 } };
	SYS(SYS_writev, 1, huge, 2);
	printf("getcwd with a huge size succeeds: %s\n", syscall(SYS_getcwd, buf, 1UL << 40) > 0 ? "yes" : "no");
	SYS(SYS_lseek, fd, (off_t)1 << 62, SEEK_SET);
	close(fd);
	puts("-- ENOSYS for an unknown syscall number");
	SYS(1000);
	SYS(-1L);
	return 0;
}
