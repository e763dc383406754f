/* What the three standard descriptors are and how they behave, whatever they are connected to
 * (pipe, regular file, /dev/null, terminal): type, access mode, offsets, flags. */
#include "common.h"

int main(int argc, char **argv)
{
	const char *names[3] = { "stdin", "stdout", "stderr" };
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		if (fstat(fd, &st)) { printf("%s: fstat %s\n", names[fd], errname(errno)); continue; }
		int fl = fcntl(fd, F_GETFL);
		printf("%s: %s, access %d, append %d, nonblock %d, cloexec %d, isatty %d\n", names[fd], ftype(st.st_mode),
		       fl & O_ACCMODE, !!(fl & O_APPEND), !!(fl & O_NONBLOCK), fcntl(fd, F_GETFD), isatty(fd));
	}
	/* offsets: regular files have one, pipes and ttys do not */
	off_t o = lseek(1, 0, SEEK_CUR);
	printf("stdout offset at start: %s\n", o < 0 ? errname(errno) : o == 0 ? "0" : "nonzero");
	fflush(stdout);
	/* write straight to the descriptor, then print the offset again */
	write(1, "direct write\n", 13);
	o = lseek(1, 0, SEEK_CUR);
	printf("stdout offset after 13 bytes + 1 line: %s\n", o < 0 ? errname(errno) : o > 0 ? "advanced" : "0");
	char buf[64];
	ssize_t n;
	if (isatty(0)) {
		/* nobody types: a blocking read would wait forever; check it would block instead */
		fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
		n = read(0, buf, sizeof buf);
		printf("nonblocking read from the terminal: %s\n", n < 0 ? errname(errno) : "data");
		fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	} else {
		n = read(0, buf, sizeof buf);
		printf("first read from stdin: %s\n", n < 0 ? errname(errno) : n == 0 ? "EOF" : "data");
	}
	if (argc > 1 && !strcmp(argv[1], "rewind")) {
		/* a file stdin can be re-read from the start */
		printf("lseek stdin to 0: %s\n", lseek(0, 0, SEEK_SET) == 0 ? "ok" : errname(errno));
		n = read(0, buf, 5);
		printf("re-read %ld bytes\n", (long)n);
	}
	return 0;
}
