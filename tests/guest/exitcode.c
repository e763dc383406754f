/* exit statuses: exit(N), return N, _exit, exit_group, atexit order and stdio flush at exit */
#include "common.h"

static void bye1(void) { printf("atexit 1\n"); }
static void bye2(void) { printf("atexit 2\n"); }

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16); /* fully buffered: exit() must flush */
	const char *how = argc > 1 ? argv[1] : "return";
	int code = argc > 2 ? atoi(argv[2]) : 0;
	atexit(bye1);
	atexit(bye2);
	printf("exiting via %s with %d\n", how, code);
	if (!strcmp(how, "exit")) exit(code);
	if (!strcmp(how, "_exit")) { fflush(stdout); _exit(code); }
	if (!strcmp(how, "exit_group")) { fflush(stdout); syscall(SYS_exit_group, code); }
	if (!strcmp(how, "exit_syscall")) { fflush(stdout); syscall(SYS_exit, code); }
	if (!strcmp(how, "unflushed_exit")) { printf("lost? no: exit flushes\n"); exit(code); }
	if (!strcmp(how, "unflushed__exit")) { printf("this line is lost\n"); _exit(code); }
	return code;
}
