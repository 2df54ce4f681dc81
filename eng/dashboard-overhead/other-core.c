// How what one core does changes the speed of a thread on the other, with nothing shared between them
// (docs/dashboard-overhead.md). Thread A, on core 0, sweeps a buffer of SIZE_MB MiB, one cache line in each 64
// bytes, over and over, and times each pass on its own CPU clock (CLOCK_THREAD_CPUTIME_ID, as the dashboard's
// "thread" figure is). Thread B, on core 1, takes turns of 0.5 s at each of:
//   idle:         sleeps;
//   spinning:     a loop that reads the clock, no system calls, no memory;
//   munmap:       spinning, with an mmap + write + munmap of one page RATE times a second (a page-table change in
//                 A's process, as the JIT's W^X mappings and the collector's decommits are);
//   memset:       writes BIG_MB MiB over and over (another cache- and memory-hungry load);
//   50us+1ms:     50 us of spinning, then a 1 ms sleep: short bursts with a wake-up each, as a server or a browser
//                 at rest runs;
//   50us+100us:   the same with 100 us sleeps.
// It prints A's mean CPU time per pass in each. Build and run (the numbers in docs/dashboard-overhead.md):
//   gcc -O2 -pthread eng/dashboard-overhead/other-core.c -o /tmp/other-core && /tmp/other-core 8 200 12 64
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { Idle, Spinning, Munmap, Memset, Bursts1ms, Bursts100us, Ways };
static const char *const names[Ways] = { "idle", "spinning", "munmap", "memset", "50us+1ms", "50us+100us" };

static volatile int way = Idle, stop = 0;
static size_t size;
static double sums[Ways];
static long passes[Ways];

static double now(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void spin(double seconds)
{
    double end = now(CLOCK_MONOTONIC) + seconds;
    while (now(CLOCK_MONOTONIC) < end) { }
}

// Thread A: a pass over the buffer at a time, each counted under the way B was in when it started, if B still is.
static void *sweep(void *unused)
{
    (void)unused;
    pin(0);
    float *buffer = malloc(size);
    memset(buffer, 1, size);
    size_t n = size / sizeof(float);
    float sum = 0;
    while (!stop)
    {
        int w = way;
        double start = now(CLOCK_THREAD_CPUTIME_ID);
        for (size_t i = 0; i < n; i += 16) sum += buffer[i], buffer[i] = sum * 0.5f;
        double elapsed = now(CLOCK_THREAD_CPUTIME_ID) - start;
        if (w == way) sums[w] += elapsed, passes[w]++;
    }
    return (void *)(long)sum;
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: other-core SIZE_MB RATE SECONDS BIG_MB\n"); return 2; }
    size = (size_t)atol(argv[1]) << 20;
    double rate = atof(argv[2]);
    int seconds = atoi(argv[3]);
    size_t big_size = (size_t)atol(argv[4]) << 20;
    char *big = malloc(big_size);
    memset(big, 0, big_size);

    pthread_t a;
    pthread_create(&a, NULL, sweep, NULL);
    pin(1);
    usleep(200000);
    double end = now(CLOCK_MONOTONIC) + seconds;
    while (now(CLOCK_MONOTONIC) < end)
    {
        for (int w = 0; w < Ways; w++)
        {
            way = w;
            double turn_end = now(CLOCK_MONOTONIC) + 0.5, next_munmap = now(CLOCK_MONOTONIC);
            if (w == Idle) { usleep(500000); continue; }
            for (int round = 0; now(CLOCK_MONOTONIC) < turn_end; round++)
            {
                switch (w)
                {
                case Spinning: break;
                case Munmap:
                    if (now(CLOCK_MONOTONIC) >= next_munmap)
                    {
                        char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        page[0] = 1;
                        munmap(page, 4096);
                        next_munmap += 1.0 / rate;
                    }
                    break;
                case Memset: memset(big, round, big_size); break;
                case Bursts1ms: spin(50e-6); usleep(1000); break;
                case Bursts100us: spin(50e-6); usleep(100); break;
                }
            }
        }
    }
    stop = 1;
    pthread_join(a, NULL);
    for (int w = 0; w < Ways; w++)
        printf("B %-11s A %.1f us per pass (%ld passes)\n", names[w], 1e6 * sums[w] / passes[w], passes[w]);
    return 0;
}
