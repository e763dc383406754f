/* Shared helpers for the rumplx benchmark programs (bench/run.sh). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

static inline uint64_t now_ns(int clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#define MONO_NS() now_ns(CLOCK_MONOTONIC)
#endif
