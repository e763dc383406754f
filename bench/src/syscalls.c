/* Per-call cost of common system calls.
 * usage: syscalls N   -- prints "name ns_per_call" for each call, N iterations each
 * (open+close and stat use N/4). Each figure is the best of 3 passes inside this run;
 * run.sh takes the median over repeated runs. */
#include "common.h"
#include <fcntl.h>
#ifndef FUTEX_WAKE_PRIVATE
#define FUTEX_WAKE_PRIVATE 129 /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG; musl-gcc has no linux/ headers */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fd_zero, fd_null;
static int futex_word;
static volatile long sink;

/* The libc wrapper (a `mov $39, %eax; syscall` site in both libcs, which rumplx rewrites). */
static void do_getpid(void) { sink += getpid(); }
static void do_read(void) { char c; sink += read(fd_zero, &c, 1); }
static void do_write(void) { char c = 'x'; sink += write(fd_null, &c, 1); }
static void do_clock(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec; }
static void do_openclose(void) { int fd = open("/dev/null", O_RDONLY); sink += fd; close(fd); }
static void do_stat(void) { struct stat st; sink += stat("/dev/null", &st); }
static void do_futex(void) { sink += syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }

struct bench { const char *name; void (*fn)(void); int div; };

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    fd_zero = open("/dev/zero", O_RDONLY);
    fd_null = open("/dev/null", O_WRONLY);
    if (fd_zero < 0 || fd_null < 0) { perror("open"); return 1; }
    struct bench b[] = {
        {"getpid", do_getpid, 1}, {"read1", do_read, 1}, {"write1", do_write, 1},
        {"clock_gettime", do_clock, 1}, {"open_close", do_openclose, 4},
        {"stat", do_stat, 4}, {"futex_wake", do_futex, 1},
    };
    for (unsigned i = 0; i < sizeof b / sizeof b[0]; i++) {
        long iters = n / b[i].div;
        if (iters < 1) iters = 1;
        double best = 1e30;
        for (int pass = 0; pass < 3; pass++) {
            uint64_t t0 = MONO_NS();
            for (long k = 0; k < iters; k++) b[i].fn();
            uint64_t t1 = MONO_NS();
            double ns = (double)(t1 - t0) / (double)iters;
            if (ns < best) best = ns;
        }
        printf("%s %.1f\n", b[i].name, best);
    }
    return 0;
}
