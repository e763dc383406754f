/* argv, envp (sorted), getenv/setenv, auxv entries the loader must provide */
#include "common.h"
#include <sys/auxv.h>
#include <elf.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
extern char **environ;

int main(int argc, char **argv, char **envp)
{
	printf("argc %d\n", argc);
	for (int i = 1; i < argc; i++) printf("argv[%d] = [%s]\n", i, argv[i]);
	printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	const char *slash = strrchr(argv[0], '/');
	printf("argv[0] basename %s\n", slash ? slash + 1 : argv[0]);
	printf("envp follows argv: %s\n", envp == argv + argc + 1 ? "yes" : "no");
	int n = 0;
	while (envp[n]) n++;
	char **sorted = malloc(sizeof(char *) * (n + 1));
	memcpy(sorted, envp, sizeof(char *) * n);
	qsort(sorted, n, sizeof *sorted, cmp);
	printf("%d environment entries\n", n);
	for (int i = 0; i < n; i++) printf("env %s\n", sorted[i]);
	printf("getenv(HOME) %s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
	printf("getenv(NOPE) %s\n", getenv("NOPE") ? "set" : "(unset)");
	setenv("ADDED", "1", 1);
	printf("after setenv: %s\n", getenv("ADDED"));
	unsetenv("TZ");
	printf("after unsetenv TZ: %s\n", getenv("TZ") ? "set" : "(unset)");
	(void)environ;
	/* auxv */
	printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
	printf("AT_PHENT %lu\n", getauxval(AT_PHENT));
	printf("AT_PHNUM > 0: %s\n", getauxval(AT_PHNUM) > 0 ? "yes" : "no");
	printf("AT_PHDR set: %s\n", getauxval(AT_PHDR) ? "yes" : "no");
	printf("AT_ENTRY set: %s\n", getauxval(AT_ENTRY) ? "yes" : "no");
	printf("AT_RANDOM set: %s\n", getauxval(AT_RANDOM) ? "yes" : "no");
	printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
	printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
	printf("AT_UID matches getuid: %s\n", getauxval(AT_UID) == getuid() ? "yes" : "no");
	printf("AT_EUID matches: %s\n", getauxval(AT_EUID) == geteuid() ? "yes" : "no");
	printf("AT_GID matches: %s\n", getauxval(AT_GID) == getgid() ? "yes" : "no");
	printf("AT_EGID matches: %s\n", getauxval(AT_EGID) == getegid() ? "yes" : "no");
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	printf("AT_PLATFORM %s\n", plat ? plat : "(none)");
	const char *fn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN equals argv[0]: %s\n", fn && !strcmp(fn, argv[0]) ? "yes" : "no");
	printf("AT_HWCAP set: %s\n", getauxval(AT_HWCAP) ? "yes" : "no");
	/* AT_PHDR points at our own program headers: the first PT_LOAD or PT_PHDR type is sane */
	Elf64_Phdr *ph = (Elf64_Phdr *)getauxval(AT_PHDR);
	int loads = 0;
	for (unsigned long i = 0; ph && i < getauxval(AT_PHNUM); i++) loads += ph[i].p_type == PT_LOAD;
	printf("PT_LOAD segments seen via AT_PHDR > 0: %s\n", loads > 0 ? "yes" : "no");
	/* the stack: argv strings live above argv itself, 16-byte alignment of the initial frame is libc's business */
	printf("argv strings above argv array: %s\n", (uintptr_t)argv[0] > (uintptr_t)argv ? "yes" : "no");
	return 0;
}
