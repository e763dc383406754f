/* stat, fstat, lstat, fstatat, statx: deterministic fields (size, type, mode, nlink) */
#include "common.h"

static void show(const char *label, int r, struct stat *st)
{
	if (r != 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
	printf("%s: %s mode %o nlink %ld size %ld%s\n", label, ftype(st->st_mode), st->st_mode & 07777,
	       (long)st->st_nlink, S_ISDIR(st->st_mode) ? 0L : (long)st->st_size,
	       st->st_blksize > 0 ? "" : " blksize<=0");
}

int main(void)
{
	struct stat st, st2;
	umask(0);
	write_file("file", "twelve bytes");
	chmod("file", 0640);
	mkdir("dir", 0751);
	mkdir("dir/sub", 0700);
	symlink("file", "link");
	symlink("nowhere", "dangling");
	link("file", "hard");
	show("stat file", stat("file", &st), &st);
	show("stat dir", stat("dir", &st), &st);
	show("stat link", stat("link", &st), &st);
	show("lstat link", lstat("link", &st), &st);
	show("lstat file", lstat("file", &st), &st);
	show("stat dangling", stat("dangling", &st), &st);
	show("lstat dangling", lstat("dangling", &st), &st);
	show("stat missing", stat("missing", &st), &st);
	show("stat file/x", stat("file/x", &st), &st);
	int fd = open("file", O_RDONLY);
	show("fstat file", fstat(fd, &st), &st);
	stat("hard", &st2);
	printf("same inode via hard link: %s\n", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev ? "yes" : "no");
	stat("link", &st2);
	printf("same inode via symlink: %s\n", st.st_ino == st2.st_ino ? "yes" : "no");
	lstat("link", &st2);
	printf("symlink has own inode: %s\n", st.st_ino != st2.st_ino ? "yes" : "no");
	show("fstat -1", fstat(-1, &st), &st);
	int d = open("dir", O_RDONLY | O_DIRECTORY);
	show("fstatat dir sub", fstatat(d, "sub", &st, 0), &st);
	show("fstatat cwd link nofollow", fstatat(AT_FDCWD, "link", &st, AT_SYMLINK_NOFOLLOW), &st);
	show("fstatat cwd link follow", fstatat(AT_FDCWD, "link", &st, 0), &st);
	show("fstatat fd empty path", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	show("fstatat bad flags", fstatat(AT_FDCWD, "file", &st, 0x12345678), &st);
	show("fstatat file-as-dirfd", fstatat(fd, "x", &st, 0), &st);
	struct stat a, b;
	stat("dir", &a);
	stat("dir/sub/..", &b);
	printf("dir/sub/.. is dir: %s\n", a.st_ino == b.st_ino ? "yes" : "no");
	/* timestamps are sane and ordered */
	stat("file", &st);
	printf("mtime > 2020: %s\n", st.st_mtime > 1577836800 ? "yes" : "no");
	printf("ctime >= mtime: %s\n", st.st_ctime >= st.st_mtime ? "yes" : "no");
	printf("blocks sane: %s\n", st.st_blocks >= 0 ? "yes" : "no");
	printf("uid matches getuid: %s\n", st.st_uid == getuid() ? "yes" : "no");
	printf("gid matches getegid: %s\n", st.st_gid == getegid() ? "yes" : "no");
	/* statx through the raw syscall (musl 1.2.3 has no wrapper), with our own copy of the struct */
	struct { uint32_t mask, blksize; uint64_t attributes; uint32_t nlink, uid, gid; uint16_t mode, pad1;
		 uint64_t ino, size, blocks, attributes_mask; struct { int64_t sec; uint32_t nsec; int32_t pad; } atime, btime, ctime, mtime;
		 uint32_t rdev_major, rdev_minor, dev_major, dev_minor; uint64_t spare[14]; } sx;
	enum { X_TYPE = 1, X_MODE = 2, X_NLINK = 4, X_SIZE = 0x200, X_BASIC = 0x7ff };
	memset(&sx, 0, sizeof sx);
	long r = syscall(SYS_statx, AT_FDCWD, "file", 0, X_BASIC, &sx);
	printf("statx file = %ld\n", r);
	if (r == 0) {
		printf("statx: type %s mode %o nlink %u size %llu\n", ftype(sx.mode), sx.mode & 07777,
		       sx.nlink, (unsigned long long)sx.size);
		printf("statx mask has TYPE|MODE|NLINK|SIZE: %s\n",
		       (sx.mask & (X_TYPE | X_MODE | X_NLINK | X_SIZE)) == (X_TYPE | X_MODE | X_NLINK | X_SIZE) ? "yes" : "no");
		printf("statx ino matches stat: %s\n", sx.ino == (unsigned long long)st.st_ino ? "yes" : "no");
		printf("statx mtime matches stat: %s\n", sx.mtime.sec == st.st_mtime ? "yes" : "no");
		printf("statx uid matches stat: %s\n", sx.uid == st.st_uid ? "yes" : "no");
	}
	r = syscall(SYS_statx, AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, X_BASIC, &sx);
	printf("statx link nofollow = %ld %s size %llu\n", r, ftype(sx.mode), (unsigned long long)sx.size);
	r = syscall(SYS_statx, AT_FDCWD, "missing", 0, X_BASIC, &sx);
	printf("statx missing = %ld %s\n", r, r ? errname(errno) : "");
	r = syscall(SYS_statx, d, "sub", 0, X_BASIC, &sx);
	printf("statx dirfd sub = %ld %s mode %o\n", r, ftype(sx.mode), sx.mode & 07777);
	r = syscall(SYS_statx, fd, "", AT_EMPTY_PATH, X_BASIC, &sx);
	printf("statx fd empty path = %ld %s size %llu\n", r, ftype(sx.mode), (unsigned long long)sx.size);
	r = syscall(SYS_statx, AT_FDCWD, "file", 0, X_BASIC, (void *)1);
	printf("statx bad buffer = %ld %s\n", r, r ? errname(errno) : "");
	close(fd);
	close(d);
	return 0;
}
