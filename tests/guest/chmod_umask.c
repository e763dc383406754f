/* chmod, fchmod, fchmodat, umask, chown family (to own ids) */
#include "common.h"

static void mode(const char *p)
{
	struct stat st;
	if (stat(p, &st)) printf("mode(%s): %s\n", p, errname(errno));
	else printf("mode(%s) = %o\n", p, st.st_mode & 07777);
}

int main(void)
{
	printf("umask(022) old & 0 = %o\n", umask(022) & 0);
	T(umask(077));
	T(umask(0));
	T(umask(027));
	T(umask(01777));
	T(umask(022));
	int masks[] = { 0, 02, 022, 077, 0777 };
	char name[32];
	for (int i = 0; i < 5; i++) {
		umask(masks[i]);
		snprintf(name, sizeof name, "file%o", masks[i]);
		int fd = open(name, O_CREAT | O_WRONLY, 0666);
		close(fd);
		mode(name);
		snprintf(name, sizeof name, "dir%o", masks[i]);
		mkdir(name, 0777);
		mode(name);
	}
	umask(022);
	write_file("f", "x");
	T(chmod("f", 0600)); mode("f");
	T(chmod("f", 04755)); mode("f");
	T(chmod("f", 0)); mode("f");
	T(chmod("f", 01777)); mode("f");
	T(chmod("missing", 0644));
	int fd = open("f", O_RDONLY);
	T(fchmod(fd, 0640)); mode("f");
	T(fchmod(-1, 0640));
	close(fd);
	mkdir("d", 0755);
	write_file("d/g", "y");
	int d = open("d", O_RDONLY | O_DIRECTORY);
	T(fchmodat(d, "g", 0604, 0)); mode("d/g");
	T(fchmodat(AT_FDCWD, "d/g", 0611, 0)); mode("d/g");
	symlink("f", "lnk");
	T(chmod("lnk", 0644)); mode("f");
	T(fchmodat(AT_FDCWD, "lnk", 0600, 0x1234));
	close(d);
	/* chown to our own ids is always allowed */
	T(chown("f", getuid(), getgid()));
	T(chown("f", -1, -1));
	T(lchown("lnk", getuid(), getgid()));
	fd = open("f", O_RDONLY);
	T(fchown(fd, getuid(), -1));
	T(fchownat(AT_FDCWD, "f", -1, getgid(), 0));
	T(fchownat(AT_FDCWD, "lnk", -1, -1, AT_SYMLINK_NOFOLLOW));
	T(chown("missing", 0, 0));
	close(fd);
	mode("f");
	chmod("f", 0644);
	chmod("d/g", 0644);
	chmod("dir777", 0755);
	chmod("file777", 0644);
	return 0;
}
