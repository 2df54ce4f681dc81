using System.Diagnostics;
using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

// Alone, after the parallel collections: MaxThreads is process-wide, and the allocation tests must not see the pool start.
[CollectionDefinition(nameof(ParallelismTests), DisableParallelization = true)]
public class ParallelismCollection;

[Collection(nameof(ParallelismTests))]
public class ParallelismTests
{
    public static IEnumerable<object[]> Shapes()
    {
        // Split by panels (256 outputs), by row tiles (few panels: 40 and 10 outputs), k-sliced (3000), small batches
        // (the serial dot-product path), and a backward with more threads than rows. With GELU, whose vector
        // derivative rounds differently from its scalar one: the backward's column shares must give every column of dz
        // the path it takes on one thread (150 and 40 outputs leave a tail shorter than a vector at every width).
        foreach (string type in new[] { "double", "float" })
        {
            yield return [type, 64, 784, 256, "tanh"];
            yield return [type, 128, 64, 10, "tanh"];
            yield return [type, 33, 300, 40, "tanh"];
            yield return [type, 20, 3000, 150, "tanh"];
            yield return [type, 5, 200, 70, "tanh"];
            yield return [type, 2, 64, 3, "tanh"];
            yield return [type, 64, 200, 150, "gelu"];
            yield return [type, 96, 100, 40, "gelu"];
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryThreadCountGivesTheSameBits(string type, int batch, int inF, int outF, string activation)
    {
        switch (type, activation)
        {
            case ("double", "tanh"): Check<double, Tanh>(batch, inF, outF); break;
            case ("float", "tanh"): Check<float, Tanh>(batch, inF, outF); break;
            case ("double", "gelu"): Check<double, GELU>(batch, inF, outF); break;
            default: Check<float, GELU>(batch, inF, outF); break;
        }
    }

    private static void Check<T, TAct>(int batch, int inF, int outF) where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation
    {
        T[] x = Random<T>(batch * inF, 1), w = Random<T>(outF * inF, 2, 0.1), b = Random<T>(outF, 3), da = Random<T>(batch * outF, 4);
        (T[] A, T[] Z, T[] Dx, T[] Dw, T[] Db)? single = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                Parallelism.MaxThreads = threads;
                T[] a = new T[batch * outF], z = new T[batch * outF], dz = new T[batch * outF];
                T[] dx = new T[batch * inF], dw = Random<T>(outF * inF, 5), db = new T[outF];
                Dense.Forward<T, TAct>(a, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
                Dense.Backward<T, TAct>(dx, inF, false, dw, db, dz, da, outF, z, a, outF, x, inF, w, batch, inF, outF, default);
                if (single is not { } s)
                {
                    // One thread against the reference, so that all counts are checked against something independent.
                    T[] aRef = new T[batch * outF], zRef = new T[batch * outF];
                    DenseReference.Forward<T, TAct>(aRef, outF, zRef, x, inF, w, b, [], 0, batch, inF, outF, default);
                    AssertClose<T>(zRef, z, 10 * Tolerance<T>(), "z");
                    single = (a, z, dx, dw, db);
                    continue;
                }
                Assert.Equal(s.A, a);
                Assert.Equal(s.Z, z);
                Assert.Equal(s.Dx, dx);
                Assert.Equal(s.Dw, dw);
                Assert.Equal(s.Db, db);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void OptimizerUpdatesGiveTheSameBitsForEveryThreadCount()
    {
        // Long enough to split (100,003 elements: parts of unequal, odd lengths).
        const int n = 100_003;
        float[] start = Random<float>(n, 7);
        float[]? adamSingle = null, sgdSingle = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                float[] pa = (float[])start.Clone(), ps = (float[])start.Clone();
                var adam = new GradGen.Optim.AdamW<float>(n, 1e-2, weightDecay: 0.1);
                var sgd = new GradGen.Optim.Sgd<float>(n, 0.1, momentum: 0.9);
                for (int step = 0; step < 3; step++)
                {
                    float[] g = Random<float>(n, (ulong)(10 + step));
                    adam.Step(pa, g);
                    sgd.Step(ps, g);
                }
                Assert.NotEqual(start, pa);
                adamSingle ??= pa;
                sgdSingle ??= ps;
                Assert.Equal(adamSingle, pa);
                Assert.Equal(sgdSingle, ps);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    // The hand-over (Parallelism.Run and AwaitJob): a pool thread polls the job word, spins out after SpinTicks, says so
    // and blocks; the caller releases only a thread that has said so. Each job below has a part 0 that waits for part 1
    // to start: only a pool thread can start it while the caller is in part 0, so a wake-up lost between the pool
    // thread's going to sleep and the caller's publishing makes part 0 time out instead of passing unseen.
    private static readonly TimeSpan PartTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public unsafe void APoolThreadStopsSpinningAndTheNextJobWakesIt()
    {
        var job = new HandOverJob();
        try
        {
            Parallelism.MaxThreads = 2;
            for (int round = 0; round < 3; round++)
            {
                Parallelism.Run(&HandOverPart, &job, 2);
                Assert.True(job.BothRan, "part 1 did not start while part 0 waited for it");
                // Bounded spin: the pool thread blocks about SpinTicks (3 ms) after the job, not never.
                var watch = Stopwatch.StartNew();
                while (!Parallelism.IsSleeping(worker: 0) && watch.Elapsed < PartTimeout) Thread.Sleep(1);
                Assert.True(Parallelism.IsSleeping(worker: 0), "the pool thread still spins 10 s after the job");
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public unsafe void NoWakeUpIsLostWhenPoolThreadsSleepAfterEveryJob()
    {
        // A spin of one tick puts the pool thread to sleep at its first check of the clock, 256 polls (some 10-30 µs)
        // after a job; the gaps between jobs sweep 0-32 µs, so that the next job is often published just as it does.
        long spin = Parallelism.SpinTicks;
        var job = new HandOverJob();
        try
        {
            Parallelism.MaxThreads = 2;
            Parallelism.SpinTicks = 1;
            int blocksBefore = Parallelism.WorkerBlocks;
            for (int round = 0; round < 2000; round++)
            {
                long gapStart = Stopwatch.GetTimestamp();
                while (Stopwatch.GetElapsedTime(gapStart).TotalMicroseconds < round % 64 * 0.5) Thread.SpinWait(1);
                Parallelism.Run(&HandOverPart, &job, 2);
                Assert.True(job.BothRan, $"job {round}: part 1 did not start while part 0 waited for it");
            }
            Assert.True(Parallelism.WorkerBlocks > blocksBefore, "the pool thread never went to sleep: the test did not test the wake-up");
        }
        finally
        {
            Parallelism.SpinTicks = spin;
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public unsafe void TheCallerRunsPartZero()
    {
        // Part p stays on one core from call to call only if the pool cannot take part 0: the data-parallel step's
        // parts own the parameters they update. The parts are short, so that a pool thread polling the job word often
        // sees a job before the caller has started part 0.
        int* threads = stackalloc int[2];
        try
        {
            Parallelism.MaxThreads = 2;
            int caller = Environment.CurrentManagedThreadId, pool = 0;
            for (int round = 0; round < 2000; round++)
            {
                threads[0] = threads[1] = 0;
                Parallelism.Run(&RecordThread, threads, 2);
                Assert.Equal(caller, threads[0]);
                if (threads[1] != caller) pool++;
            }
            Assert.True(pool > 0, "no part ran on the pool thread: the test did not test the claim");
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    private struct HandOverJob
    {
        public int Part1Started;
        public bool BothRan;
    }

    private static unsafe void HandOverPart(void* context, int part, int parts)
    {
        ref HandOverJob job = ref *(HandOverJob*)context;
        if (part == 1)
        {
            Volatile.Write(ref job.Part1Started, 1);
            return;
        }
        job.BothRan = false;
        var watch = Stopwatch.StartNew();
        while (Volatile.Read(ref job.Part1Started) == 0 && watch.Elapsed < PartTimeout) Thread.SpinWait(1);
        job.BothRan = Volatile.Read(ref job.Part1Started) == 1;
        job.Part1Started = 0; // part 1 has run and returned or will not run before part 0 returns: reset for the next job
    }

    // Part 0 gives part 1 up to 100 µs to start elsewhere, so that the pool thread takes part in most jobs.
    private static unsafe void RecordThread(void* context, int part, int parts)
    {
        int* threads = (int*)context;
        threads[part] = Environment.CurrentManagedThreadId;
        if (part != 0) return;
        long start = Stopwatch.GetTimestamp();
        while (Volatile.Read(ref threads[1]) == 0 && Stopwatch.GetElapsedTime(start).TotalMicroseconds < 100) Thread.SpinWait(1);
    }

    [Theory]
    [InlineData(200_960, 242_762, 2)] // the MLP's parameters after its first layer
    [InlineData(0, 242_762, 3)]
    [InlineData(5, 40, 2)]            // two lines and a bit
    [InlineData(7, 7, 2)]              // empty
    [InlineData(3, 100_003, 7)]
    [InlineData(3, 12, 2)]            // within one line: every boundary moves down to the start
    public void AlignedSharesTileTheRangeOnCacheLines(int from, int to, int parts)
    {
        int expected = from;
        for (int part = 0; part < parts; part++)
        {
            var (start, end) = Parallelism.AlignedShare(from, to, part, parts);
            var (plainStart, _) = Parallelism.Share(to - from, part, parts);
            Assert.Equal(expected, start);
            Assert.True(end >= start, $"part {part}: [{start}, {end})");
            if (part > 0) Assert.True(start % Parallelism.LineElements == 0 || start == from, $"part {part} starts at {start}, off a line");
            Assert.InRange(from + plainStart - start, 0, Parallelism.LineElements - 1);
            expected = end;
        }
        Assert.Equal(to, expected);
    }

    [Fact]
    public void RejectsThreadCountsOutsideOneToSixtyFour()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 65);
        Assert.Equal(1, Parallelism.MaxThreads);
    }
}
