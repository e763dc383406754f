/* system() and popen(): both libcs run them through /bin/sh. On Debian /bin/sh is dash, a dynamic
 * program, so under rumplx these reach a program it refuses; natively they work. The commands run
 * /bin/busybox applets. */
#include "common.h"
#include <sys/wait.h>

int main(void)
{
	fflush(stdout);
	int st = system("/bin/busybox echo from-system; exit 4");
	printf("system status: exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
	FILE *f = popen("/bin/busybox seq 3", "r");
	char line[64];
	if (!f) {
		printf("popen r failed: %s\n", errname(errno));
	} else {
		while (fgets(line, sizeof line, f))
			printf("popen read: %s", line);
		st = pclose(f);
		printf("pclose: %d\n", WEXITSTATUS(st));
	}
	fflush(stdout);
	f = popen("/bin/busybox tr a-z A-Z", "w");
	if (!f) {
		printf("popen w failed: %s\n", errname(errno));
	} else {
		fputs("written through popen\n", f);
		st = pclose(f);
		printf("pclose w: %d\n", WEXITSTATUS(st));
	}
	return 0;
}
