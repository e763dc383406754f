/* a 64 MiB file written in chunks and read back with a checksum, then removed */
#include "common.h"

static uint64_t mix(uint64_t x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; return x; }

int main(void)
{
	enum { CHUNK = 1 << 20, CHUNKS = 64 };
	static uint64_t buf[CHUNK / 8];
	int fd = T(open("big.bin", O_RDWR | O_CREAT | O_TRUNC, 0644));
	uint64_t wsum = 0;
	for (int c = 0; c < CHUNKS; c++) {
		for (int i = 0; i < CHUNK / 8; i++) { buf[i] = mix((uint64_t)c * (CHUNK / 8) + i); wsum += buf[i]; }
		size_t done = 0;
		while (done < CHUNK) { ssize_t w = write(fd, (char *)buf + done, CHUNK - done); if (w <= 0) { printf("write failed at chunk %d: %s\n", c, errname(errno)); return 1; } done += w; }
	}
	struct stat st;
	fstat(fd, &st);
	printf("size %lld\n", (long long)st.st_size);
	T(fsync(fd));
	T(lseek(fd, 0, SEEK_SET));
	uint64_t rsum = 0, total = 0, mism = 0, idx = 0;
	/* read in odd-sized pieces to cross chunk boundaries */
	static char rb[777777];
	for (;;) {
		ssize_t r = read(fd, rb, sizeof rb);
		if (r < 0) { printf("read: %s\n", errname(errno)); return 1; }
		if (r == 0) break;
		total += r;
		for (ssize_t i = 0; i < r; i++) {
			/* rebuild 64-bit words byte by byte */
			static uint64_t w; static int nb;
			w |= (uint64_t)(unsigned char)rb[i] << (8 * nb);
			if (++nb == 8) { rsum += w; if (w != mix(idx)) mism++; idx++; w = 0; nb = 0; }
		}
	}
	printf("read %llu bytes, checksum %s, mismatched words %llu\n", (unsigned long long)total, rsum == wsum ? "matches" : "DIFFERS", (unsigned long long)mism);
	printf("checksum %016llx\n", (unsigned long long)wsum);
	/* random access reads */
	uint64_t v;
	for (int k = 0; k < 8; k++) {
		off_t o = ((off_t)k * 8191 * 1031) % (CHUNKS * (off_t)CHUNK / 8) * 8;
		pread(fd, &v, 8, o);
		printf("word at %lld ok: %s\n", (long long)o, v == mix(o / 8) ? "yes" : "no");
	}
	/* pwrite at 4 GiB + read back (sparse, large offsets) */
	off_t far = 5LL << 30;
	T(pwrite(fd, "far", 3, far));
	char fb[4] = {0};
	T(pread(fd, fb, 3, far));
	printf("far [%s]\n", fb);
	fstat(fd, &st);
	printf("size %lld\n", (long long)st.st_size);
	T(close(fd));
	T(unlink("big.bin"));
	return 0;
}
