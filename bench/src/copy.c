/* Copy SRC to DST with read/write in 1 MiB chunks. Prints elapsed ns of open..close (fsync not
 * included: the page cache is what a program sees). usage: copy SRC DST */
#include "common.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: copy SRC DST\n"); return 2; }
    static char buf[1 << 20];
    uint64_t t0 = MONO_NS();
    int in = open(argv[1], O_RDONLY);
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) { perror("open"); return 1; }
    long long total = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0) { perror("read"); return 1; }
        if (r == 0) break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, r - off);
            if (w <= 0) { perror("write"); return 1; }
            off += w;
        }
        total += r;
    }
    if (close(out) < 0) { perror("close"); return 1; }
    close(in);
    uint64_t t1 = MONO_NS();
    printf("%llu %lld\n", (unsigned long long)(t1 - t0), total);
    return 0;
}
