/* Host-side launcher for bench/run.sh (built natively; never runs under a peer).
 *   runner t0 CMD...            set BENCH_T0=<CLOCK_REALTIME ns> and execvp CMD (start-up timing:
 *                               the timestamp is taken immediately before the exec, no shell between)
 *   runner repeat N CMD...      run CMD N times one after the other (stdout to /dev/null);
 *                               prints the total wall time in ns; fails if any run fails
 *   runner time OUT CMD...      run CMD once with stdout to file OUT; prints its wall time in ns */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(int clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int run_once(char **cmd, const char *out)
{
    pid_t p = fork();
    if (p < 0) { perror("fork"); exit(1); }
    if (p == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { perror(out); _exit(126); }
        dup2(fd, 1);
        close(fd);
        execvp(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    int st;
    if (waitpid(p, &st, 0) < 0) { perror("waitpid"); exit(1); }
    return st;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "t0") == 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)now_ns(CLOCK_REALTIME));
        setenv("BENCH_T0", buf, 1);
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        return 127;
    }
    if (argc >= 4 && strcmp(argv[1], "repeat") == 0) {
        long n = atol(argv[2]);
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (long i = 0; i < n; i++) {
            int st = run_once(argv + 3, "/dev/null");
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "runner: run %ld failed (status 0x%x)\n", i, st);
                return 1;
            }
        }
        printf("%llu\n", (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0));
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "time") == 0) {
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        int st = run_once(argv + 3, argv[2]);
        uint64_t t1 = now_ns(CLOCK_MONOTONIC);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "runner: command failed (status 0x%x)\n", st);
            return 1;
        }
        printf("%llu\n", (unsigned long long)(t1 - t0));
        return 0;
    }
    fprintf(stderr, "usage: runner t0|repeat N|time OUT CMD...\n");
    return 2;
}
