// A background load for run.sh's "+load=fma" and "+load=fmaN": FMA chains on the widest vectors the compiler is told
// to use (-march=native), the kind of work a browser's rasteriser and compositor do, as opposed to spin's integer
// loop. With an argument N (1-99) it runs N% of every 10 ms and sleeps the rest: a duty cycle like the page's.
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int duty = argc > 1 && argv[1][0] ? atoi(argv[1]) : 100;
    if (duty < 1 || duty > 100) { fprintf(stderr, "fma-load: duty %d%% is not 1-100\n", duty); return 2; }
#if defined(__AVX512F__)
    typedef __m512 v;
#define SET(x) _mm512_set1_ps(x)
#define FMA(x) x = _mm512_fmadd_ps(x, b, c)
#else
    typedef __m256 v;
#define SET(x) _mm256_set1_ps(x)
#define FMA(x) x = _mm256_fmadd_ps(x, b, c)
#endif
    // Twelve independent chains in registers: enough to keep both FMA pipes busy at their latency.
    v b = SET(0.999999f), c = SET(1e-7f);
    v a0 = SET(0), a1 = SET(1), a2 = SET(2), a3 = SET(3), a4 = SET(4), a5 = SET(5);
    v a6 = SET(6), a7 = SET(7), a8 = SET(8), a9 = SET(9), a10 = SET(10), a11 = SET(11);
    const double period = 0.010;
    for (;;) {
        double start = now(), busy = period * duty / 100.0;
        do {
            for (int r = 0; r < 1000; r++) {
                FMA(a0); FMA(a1); FMA(a2); FMA(a3); FMA(a4); FMA(a5);
                FMA(a6); FMA(a7); FMA(a8); FMA(a9); FMA(a10); FMA(a11);
            }
            // Keep the chains: the compiler may not drop work whose results it cannot prove unused.
            __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5));
            __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
        } while (now() - start < busy);
        if (duty < 100) {
            double rest = period - (now() - start);
            if (rest > 0) {
                struct timespec t = {0, (long)(rest * 1e9)};
                nanosleep(&t, NULL);
            }
        }
    }
}
