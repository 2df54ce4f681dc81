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

    // The pool: one semaphore per worker, and one job at a time. A job is a function pointer, its context and its
    // parts; every thread (the caller included) claims parts from s_state until none is left, so when a pool thread is
    // not scheduled (a loaded machine) the caller runs its parts instead of waiting for it.
    // s_state = generation << 16 | parts << 8 | next part: one 64-bit word, claimed by compare-and-swap, so that a thread
    // waking late for an earlier job can never claim a part of a later one with the earlier one's part count.
    private static readonly object s_startLock = new();
    private static SemaphoreSlim[] s_signals = [];
    private static int s_busy;
    private static long s_state;
    private static int s_done;
    private static unsafe delegate*<void*, int, int, void> s_work;
    private static unsafe void* s_context;
    private static Exception? s_failure;

    /// <summary>Runs work(context, part, parts) for every part in [0, parts), on the caller and pool threads; returns
    /// when all have finished.</summary>
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
            long generation = (Volatile.Read(ref s_state) >> 16) + 1;
            Volatile.Write(ref s_state, generation << 16 | (long)parts << 8);
            for (int worker = 0; worker < parts - 1; worker++) s_signals[worker].Release();
            RunParts();
            // Wait without sleeping: a part claimed by a pool thread is under way.
            var spin = new SpinWait();
            while (Volatile.Read(ref s_done) != parts) spin.SpinOnce(sleep1Threshold: -1);
            if (s_failure is { } failure) throw new AggregateException("a kernel part failed on a pool thread", failure);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    // Claims and runs parts of the current job until none is left.
    private static unsafe void RunParts()
    {
        while (true)
        {
            long state = Volatile.Read(ref s_state);
            int parts = (int)(state >> 8) & 0xFF, next = (int)state & 0xFF;
            if (next >= parts) return;
            if (Interlocked.CompareExchange(ref s_state, state + 1, state) != state) continue;
            try
            {
                t_inPart = true;
                s_work(s_context, next, parts);
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
    }

    /// <summary>The [start, end) share of part <paramref name="part"/> of <paramref name="parts"/> in count items.</summary>
    internal static (int Start, int End) Share(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

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
                new Thread(() => WorkerLoop(signal)) { IsBackground = true, Name = $"GradGen kernel worker {i + 1}" }.Start();
            }
            s_signals = signals;
        }
    }

    private static void WorkerLoop(SemaphoreSlim signal)
    {
        while (true)
        {
            // Spin (about 3 ms on Zen 5; SpinWait is normalised by the runtime) before blocking: the kernels of one
            // training step follow each other within microseconds, and waking a blocked thread costs tens of them, long
            // enough for the caller to have run the part itself. The cost: a pool thread burns up to 3 ms of a core
            // after the last kernel call of a burst. A sixteenth of this spin (about 200 µs) gave two threads 1.11× one
            // on the MLP at batch 128, this 1.29× (ThreadScalingBenchmark, docs/benchmarks.md).
            for (int i = 0; i < 4096 && signal.CurrentCount == 0; i++) Thread.SpinWait(20);
            signal.Wait();
            RunParts();
        }
    }
}
