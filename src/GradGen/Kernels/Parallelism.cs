using System.Diagnostics;

namespace GradGen.Kernels;

/// <summary>Threads inside a kernel call: the Dense products split their work over up to <see cref="MaxThreads"/>
/// threads (the caller and MaxThreads − 1 pool threads that this class starts once and keeps).</summary>
/// <remarks>
/// The split needs no reduction: the forward divides the output columns (panels of w) or, when there are fewer panels
/// than threads, the batch rows; the backward divides the rows of dx and of dw. Every output element is computed by the
/// same sequence of operations whichever thread computes it, so the results are bit-identical for every thread count,
/// including 1. No call allocates (the pool threads are created on the first call that needs them).
/// When another thread is already using the pool (two networks training at once), a call runs its parts one after
/// another on its own thread: the same partition, so the same bits.
/// </remarks>
public static class Parallelism
{
    private static volatile int s_maxThreads = 1;

    /// <summary>The most threads one kernel call uses, the caller included. 1 (the default) runs every kernel on the
    /// calling thread. Set it once, before training, to at most the number of physical cores.</summary>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 64);
            s_maxThreads = value;
        }
    }

    /// <summary>The threads a kernel call may split over: <see cref="MaxThreads"/>, or 1 on a thread that is running a
    /// part of a parallel call already (a data-parallel training step's slice, Network&lt;T, TTarget&gt;.TrainStep),
    /// whose kernels then run whole on that thread instead of cutting their work into parts that the busy pool would
    /// run one after another. Either way the results are the same bits.</summary>
    internal static int AvailableThreads => t_inPart ? 1 : s_maxThreads;

    [ThreadStatic] private static bool t_inPart;

    // The pool: one job at a time. A job is a function pointer, its context and its parts. The caller runs part 0;
    // every thread (the caller too, after part 0) then claims parts from s_state until none is left, so when a pool
    // thread is not scheduled (a loaded machine) the caller runs its parts instead of waiting for it.
    // s_state = generation << 16 | parts << 8 | next part: one 64-bit word, claimed by compare-and-swap, so that a thread
    // waking late for an earlier job can never claim a part of a later one with the earlier one's part count. It is also
    // how a job reaches the pool threads: a pool thread between jobs polls it (AwaitJob) and sees a new generation
    // within a few tens of nanoseconds; only one that has spun out blocks on its semaphore, after saying so in
    // s_sleeping, and only then does the caller signal it.
    private static readonly object s_startLock = new();
    private static SemaphoreSlim[] s_signals = [];
    private static readonly int[] s_sleeping = new int[64]; // worker i's flag: 1 while it blocks (or is about to)
    private static int s_busy;
    private static long s_state;
    private static int s_done;
    private static unsafe delegate*<void*, int, int, void> s_work;
    private static unsafe void* s_context;
    private static Exception? s_failure;
    private static int s_blocks;

    /// <summary>How many times a pool thread has gone to its semaphore after spinning out (tests, benchmarks).</summary>
    internal static int WorkerBlocks => Volatile.Read(ref s_blocks);

    /// <summary>Whether pool thread <paramref name="worker"/> (0 runs part 1 of a job) has spun out and blocks, or is
    /// about to, until the next job.</summary>
    internal static bool IsSleeping(int worker) => Volatile.Read(ref s_sleeping[worker]) != 0;

    /// <summary>How long a pool thread polls for the next job before it blocks, in <see cref="Stopwatch"/> ticks: about
    /// 3 ms. The kernels of one training step follow each other within microseconds, and waking a blocked thread costs
    /// tens of them, long enough for the caller to have run the part itself; so a pool thread burns up to this much of
    /// a core after the last call of a burst, and no more. (A spin of about 200 µs gave two threads 1.11× one on the MLP
    /// at batch 128, 3 ms 1.29×: docs/benchmarks.md, 11:03.) Internal so that a test can shorten it.</summary>
    internal static long SpinTicks = Stopwatch.Frequency * 3 / 1000;

    /// <summary>Runs work(context, part, parts) for every part in [0, parts), on the caller and pool threads; returns
    /// when all have finished. The caller runs part 0 itself.</summary>
    internal static unsafe void Run(delegate*<void*, int, int, void> work, void* context, int parts)
    {
        if (parts <= 1)
        {
            work(context, 0, 1);
            return;
        }
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) work(context, part, parts);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            s_work = work;
            s_context = context;
            s_failure = null;
            Volatile.Write(ref s_done, 0);
            // Part 0 is the caller's from the start (next = 1): a pool thread that sees the job first cannot take it, so
            // a part number stays on one core from call to call (the data-parallel step's parts own their parameters).
            long generation = (Volatile.Read(ref s_state) >> 16) + 1;
            // Exchange, not a volatile write: a full fence between publishing the job and reading s_sleeping, which
            // pairs with the one in SpinWorkers so that a pool thread going to sleep either sees this job or is seen.
            Interlocked.Exchange(ref s_state, generation << 16 | (long)parts << 8 | 1);
            for (int worker = 0; worker < parts - 1; worker++)
            {
                if (Volatile.Read(ref s_sleeping[worker]) != 0 && Interlocked.Exchange(ref s_sleeping[worker], 0) != 0) s_signals[worker].Release();
            }
            RunPart(0, parts);
            RunParts();
            // Wait without sleeping: a part claimed by a pool thread is under way. Poll tightly at first (the parts of
            // one job usually end within microseconds of each other), then offer the core at every other poll, in case
            // the thread running that part waits for one (a loaded machine).
            for (int polls = 0; Volatile.Read(ref s_done) != parts; polls++)
            {
                if (polls < 1024 || (polls & 1) == 0) Thread.SpinWait(1);
                else Thread.Yield();
            }
            if (s_failure is { } failure) throw new AggregateException("a kernel part failed on a pool thread", failure);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    // Claims and runs parts of the current job until none is left.
    private static void RunParts()
    {
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            int parts = (int)(state >> 8) & 0xFF, next = (int)state & 0xFF;
            if (next >= parts) return;
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state) continue;
            RunPart(next, parts);
        }
    }

    private static unsafe void RunPart(int part, int parts)
    {
        try
        {
            t_inPart = true;
            s_work(s_context, part, parts);
        }
        catch (Exception e)
        {
            s_failure = e;
        }
        finally
        {
            t_inPart = false;
        }
        Interlocked.Increment(ref s_done);
    }

    /// <summary>The [start, end) share of part <paramref name="part"/> of <paramref name="parts"/> in count items.</summary>
    internal static (int Start, int End) Share(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    /// <summary>Elements per cache line of floats: <see cref="AlignedShare"/> puts the boundaries between parts on multiples of it.</summary>
    internal const int LineElements = 16;

    /// <summary>The [start, end) share of part <paramref name="part"/> of <paramref name="parts"/> in the elements [from, to)
    /// of an array whose element 0 starts a cache line: <see cref="Share"/>, each boundary between two parts moved down to
    /// a multiple of <see cref="LineElements"/>, so that each part's vectors start on a line (for floats; every other
    /// line for doubles) and no line of it is written by two parts. (The data-parallel MLP step's second part of the
    /// parameters after the first layer began 5 floats into a line.)</summary>
    internal static (int Start, int End) AlignedShare(int from, int to, int part, int parts)
    {
        return (Boundary(part), Boundary(part + 1));

        int Boundary(int k)
        {
            if (k == 0) return from;
            if (k == parts) return to;
            int boundary = from + Share(to - from, k, parts).Start;
            return Math.Max(from, boundary / LineElements * LineElements);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (s_signals.Length >= count) return;
        lock (s_startLock)
        {
            var signals = new SemaphoreSlim[Math.Max(count, s_signals.Length)];
            Array.Copy(s_signals, signals, s_signals.Length);
            for (int i = s_signals.Length; i < signals.Length; i++)
            {
                var signal = signals[i] = new SemaphoreSlim(0);
                int worker = i;
                new Thread(() => WorkerLoop(worker, signal)) { IsBackground = true, Name = $"GradGen kernel worker {i + 1}" }.Start();
            }
            s_signals = signals;
        }
    }

    private static void WorkerLoop(int worker, SemaphoreSlim signal)
    {
        long seen = Volatile.Read(ref s_state) >> 16; // the last generation this thread has looked at
        while (true)
        {
            seen = AwaitJob(worker, signal, seen);
            RunParts();
        }
    }

    /// <summary>Polls s_state until a generation after <paramref name="seen"/> appears, for up to <see cref="SpinTicks"/>;
    /// then blocks on <paramref name="signal"/> until a caller releases it. Returns the new generation.</summary>
    private static long AwaitJob(int worker, SemaphoreSlim signal, long seen)
    {
        long spinStart = Stopwatch.GetTimestamp();
        for (int polls = 1; ; polls++)
        {
            long generation = Volatile.Read(ref s_state) >> 16;
            if (generation != seen) return generation;
            Thread.SpinWait(1);
            if ((polls & 255) != 0 || Stopwatch.GetTimestamp() - spinStart < SpinTicks) continue;

            // Spun out. Say so, then look once more: the exchange is a full fence, as is the caller's in Run, so either
            // this thread sees a job published meanwhile or the caller sees the flag and releases the semaphore.
            Interlocked.Exchange(ref s_sleeping[worker], 1);
            if (Volatile.Read(ref s_state) >> 16 == seen || Interlocked.Exchange(ref s_sleeping[worker], 0) == 0)
            {
                // Either nothing came (block until a caller clears the flag and releases), or a caller cleared the flag
                // first and releases: take that release, so that none is left over for a later job.
                Interlocked.Increment(ref s_blocks);
                signal.Wait();
            }
            spinStart = Stopwatch.GetTimestamp();
        }
    }
}
