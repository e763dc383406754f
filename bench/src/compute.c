/* Compute-bound: SHA-256-style integer mixing over an in-register state, no syscalls in the
 * timed loop. usage: compute ROUNDS PASSES -- runs PASSES passes of ROUNDS rounds and prints the
 * fastest pass in ns (the minimum is the figure least disturbed by other load on the machine). */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 10000000;
    int passes = argc > 2 ? atoi(argv[2]) : 5;
    uint64_t best = UINT64_MAX;
    uint32_t out = 0;
    for (int p = 0; p < passes; p++) {
    uint32_t a = 0x6a09e667, b = 0xbb67ae85, c = 0x3c6ef372, d = 0xa54ff53a;
    uint32_t e = 0x510e527f, f = 0x9b05688c, g = 0x1f83d9ab, h = 0x5be0cd19;
    uint64_t t0 = MONO_NS();
    for (long i = 0; i < rounds; i++) {
        uint32_t s1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + s1 + ch + 0x428a2f98u + (uint32_t)i;
        uint32_t s0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
        uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = s0 + mj;
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    uint64_t t1 = MONO_NS();
    if (t1 - t0 < best) best = t1 - t0;
    out ^= a ^ e;
    }
    printf("%llu %08x\n", (unsigned long long)best, out);
    return 0;
}
