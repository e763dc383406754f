/* reading stdin to EOF: bytes, lines, checksum; echo of the first lines; fstat of stdin */
#include "common.h"

int main(void)
{
	char buf[1000];
	unsigned long bytes = 0, lines = 0, sum = 0;
	ssize_t n;
	int first = 1;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (first) { printf("first read non-empty: yes\n"); first = 0; }
		for (ssize_t i = 0; i < n; i++) { sum = sum * 31 + (unsigned char)buf[i]; lines += buf[i] == '\n'; }
		bytes += n;
	}
	printf("last read returned %ld\n", (long)n);
	printf("bytes %lu lines %lu sum %lu\n", bytes, lines, sum);
	T(read(0, buf, sizeof buf));
	struct stat st;
	T(fstat(0, &st));
	printf("stdin is %s\n", ftype(st.st_mode));
	/* stdio on stdin after EOF */
	printf("getchar after EOF: %d\n", getchar());
	return 0;
}
