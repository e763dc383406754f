/* stdio: fopen/fgets/fprintf/fscanf/fseek/ftell/ungetc/tmpfile-free buffered I/O to files and stdout */
#include "common.h"

int main(void)
{
	FILE *f = fopen("out.txt", "w+");
	for (int i = 0; i < 1000; i++) fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
	printf("ftell after writes %ld\n", ftell(f));
	rewind(f);
	char line[128];
	int count = 0, odd = 0;
	while (fgets(line, sizeof line, f)) { count++; odd += strstr(line, "odd") != NULL; }
	printf("lines %d odd %d feof %d\n", count, odd, feof(f));
	T(fseek(f, 7, SEEK_SET));
	int c = fgetc(f);
	printf("char at 7: %c\n", c);
	ungetc('Q', f);
	printf("after ungetc: %c\n", fgetc(f));
	fclose(f);
	f = fopen("out.txt", "a");
	fputs("appended\n", f);
	fclose(f);
	f = fopen("out.txt", "r");
	fseek(f, -9, SEEK_END);
	fgets(line, sizeof line, f);
	printf("tail: %s", line);
	int a, b;
	rewind(f);
	printf("fscanf %d\n", fscanf(f, "line %d %*s line %d", &a, &b));
	printf("a %d b %d\n", a, b);
	fclose(f);
	printf("fopen missing r: %s\n", fopen("missing", "r") ? "ok" : errname(errno));
	printf("fopen dir w: %s\n", fopen(".", "w") ? "ok" : errname(errno));
	FILE *p = fopen("bin", "wb");
	for (int i = 0; i < 256; i++) fputc(i, p);
	fclose(p);
	p = fopen("bin", "rb");
	unsigned char all[300];
	size_t got = fread(all, 1, sizeof all, p);
	printf("fread %zu, byte 200 = %d\n", got, all[200]);
	fclose(p);
	/* a big stdout write through stdio */
	setvbuf(stdout, NULL, _IOFBF, 8192);
	for (int i = 0; i < 2000; i++) printf("%05d%s", i, i % 20 == 19 ? "\n" : " ");
	fprintf(stderr, "stderr line\n");
	return 0;
}
