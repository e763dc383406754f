/* open/openat/creat with O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC */
#include "common.h"

static void show_size(const char *p)
{
	struct stat st;
	if (stat(p, &st) == 0) printf("size(%s) = %ld\n", p, (long)st.st_size);
	else printf("size(%s): %s\n", p, errname(errno));
}

int main(void)
{
	umask(022);
	int fd = T(open("f", O_WRONLY | O_CREAT | O_EXCL, 0640));
	T(write(fd, "0123456789", 10));
	T(close(fd));
	T(open("f", O_WRONLY | O_CREAT | O_EXCL, 0640));
	T(open("missing", O_RDONLY));
	fd = T(open("f", O_WRONLY | O_APPEND));
	T(lseek(fd, 0, SEEK_SET));
	T(write(fd, "AB", 2));
	T(lseek(fd, 0, SEEK_CUR));
	T(close(fd));
	print_file("f");
	fd = T(open("f", O_RDWR | O_TRUNC));
	show_size("f");
	T(write(fd, "new", 3));
	T(close(fd));
	print_file("f");
	fd = T(creat("c", 0600));
	T(write(fd, "creat", 5));
	T(read(fd, (char[4]){0}, 4));
	T(close(fd));
	struct stat st;
	stat("c", &st);
	printf("creat mode %o\n", st.st_mode & 0777);
	T(mkdir("d", 0755));
	fd = T(open("d", O_RDONLY | O_DIRECTORY));
	int fd2 = T(openat(fd, "inner", O_WRONLY | O_CREAT, 0600));
	T(write(fd2, "in", 2));
	T(close(fd2));
	T(openat(fd, "inner", O_RDONLY | O_DIRECTORY));
	T(openat(fd, "../f", O_RDONLY));
	T(openat(AT_FDCWD, "d/inner", O_RDONLY));
	T(openat(12345, "inner", O_RDONLY));
	T(openat(fd2, "inner", O_RDONLY)); /* fd2 closed: EBADF */
	int ffd = open("f", O_RDONLY);
	T(openat(ffd, "x", O_RDONLY)); /* not a directory */
	T(close(ffd));
	T(close(fd));
	T(open("f", O_RDONLY | O_DIRECTORY));
	T(open("d", O_WRONLY));
	T(open("d", O_RDWR));
	T(symlink("f", "lnk"));
	T(open("lnk", O_RDONLY | O_NOFOLLOW));
	fd = T(open("lnk", O_RDONLY));
	T(close(fd));
	fd = T(open("f", O_RDONLY | O_CLOEXEC));
	T(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	T(close(fd));
	fd = T(open("f", O_RDONLY));
	T(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	T(fcntl(fd, F_GETFL) & O_ACCMODE);
	T(close(fd));
	fd = T(open("f", O_WRONLY | O_APPEND));
	T((fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND));
	T(close(fd));
	/* lowest free descriptor is reused */
	int a = T(open("f", O_RDONLY));
	int b = T(open("f", O_RDONLY));
	T(close(a));
	T(open("f", O_RDONLY));
	T(close(b));
	/* O_CREAT without O_EXCL on existing file keeps content */
	fd = T(open("f", O_RDWR | O_CREAT, 0777));
	T(close(fd));
	print_file("f");
	/* create in missing dir, path through file */
	T(open("nodir/x", O_CREAT | O_WRONLY, 0644));
	T(open("f/x", O_CREAT | O_WRONLY, 0644));
	T(open("", O_RDONLY));
	fd = T(open("modes", O_CREAT | O_WRONLY, 0777));
	T(close(fd));
	stat("modes", &st);
	printf("mode with umask 022: %o\n", st.st_mode & 0777);
	return 0;
}
