/* getrandom and /dev/urandom: lengths, flags, two draws differ */
#include "common.h"
#include <sys/random.h>

int main(void)
{
	unsigned char a[256], b[256];
	T(getrandom(a, sizeof a, 0));
	T(getrandom(b, sizeof b, 0));
	printf("two draws differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
	T(getrandom(a, 16, GRND_NONBLOCK));
	T(getrandom(a, 0, 0));
	T(getrandom(a, 16, 0x40));
	SYS(SYS_getrandom, (void *)1, 16, 0);
	static unsigned char big[1 << 20];
	long got = getrandom(big, sizeof big, 0);
	printf("big request returned > 0: %s\n", got > 0 ? "yes" : "no");
	int counts[256] = {0};
	for (long i = 0; i < got; i++) counts[big[i]]++;
	int missing = 0;
	for (int i = 0; i < 256; i++) missing += counts[i] == 0;
	printf("every byte value appears: %s\n", missing == 0 ? "yes" : "no");
	int fd = T(open("/dev/urandom", O_RDONLY));
	T(read(fd, a, 64));
	T(read(fd, b, 64));
	printf("urandom draws differ: %s\n", memcmp(a, b, 64) ? "yes" : "no");
	T(close(fd));
	fd = T(open("/dev/random", O_RDONLY));
	T(read(fd, a, 32));
	T(close(fd));
	return 0;
}
