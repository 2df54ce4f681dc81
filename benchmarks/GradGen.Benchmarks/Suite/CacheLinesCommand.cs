using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--cache-lines [lines] [rounds]</c>: what a cache line passed between the two cores costs on this machine,
/// the price the data-parallel step pays wherever one core writes what the other has read (docs/benchmarks.md, s9-dp2
/// and s11-dp). Two threads, the caller (A) and one of its own (B), take turns over one buffer of
/// <paramref name="lines"/> lines, one 4-byte element touched per line, in order (the rest of the MLP's parameters is
/// 2,613 lines; each part of the step owns 1,306 of them): A stores into every line twice, after B has read them (each
/// store must take the line from B's cache) and again (the lines are A's alone); then B loads from every line twice,
/// after A has written them (each load fetches the line from A's cache) and again; then A stores every line whole past
/// the caches (non-temporal stores, then a store fence) after B has read them, and B loads them once more. Each pass is timed by the clock;
/// the medians over the rounds are per line. The two threads spin while the other works, so on a two-core machine each
/// has a core; a round in which both reported the same processor (<see cref="Thread.GetCurrentProcessorId"/>) is
/// counted, and shared-core rounds say nothing about the cores.</summary>
public static class CacheLinesCommand
{
    /// <summary>Medians in nanoseconds per line, and how many of the rounds had both threads on one processor.</summary>
    public sealed record Result(int Lines, int Rounds, double WriteAfterOtherRead, double WriteOwn, double ReadAfterOtherWrite,
        double ReadOwn, double StreamAfterOtherRead, double ReadAfterOtherStream, int SameProcessorRounds)
    {
        /// <summary>One line for a report: the six costs, and the rounds on one processor when there were any.</summary>
        public override string ToString() => FormattableString.Invariant(
            $"a cache line between the cores ({Lines:N0} lines, {Rounds} rounds, ns per line, medians): ") +
            FormattableString.Invariant($"stored after the other core read it {WriteAfterOtherRead:F1} (its own {WriteOwn:F1}); ") +
            FormattableString.Invariant($"loaded after the other core wrote it {ReadAfterOtherWrite:F1} (its own {ReadOwn:F1}); ") +
            FormattableString.Invariant($"stored past the caches after the other core read it {StreamAfterOtherRead:F1}, loaded after that {ReadAfterOtherStream:F1}") +
            (SameProcessorRounds > 0 ? FormattableString.Invariant($"; both threads on one processor in {SameProcessorRounds} rounds") : "");
    }

    public static int Run(string[] args)
    {
        int lines = args.Length > 0 ? int.Parse(args[0]) : 1306;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 400;
        Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine(Measure(lines, rounds));
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    public static unsafe Result Measure(int lines, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lines, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 2);
        byte[] storage = GC.AllocateArray<byte>(lines * 64 + 64, pinned: true);
        // The turn the threads spin on: element 8 of its own array, a line away from anything else (the array's header
        // and the elements around it), so that its own line's moves do not fall into the timed passes.
        var turns = new long[24];
        var writeShared = new double[rounds - 1];
        var writeOwn = new double[rounds - 1];
        var readRemote = new double[rounds];
        var readOwn = new double[rounds];
        var streamShared = new double[rounds];
        var readStreamed = new double[rounds];
        var processorA = new int[rounds];
        var processorB = new int[rounds];
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        fixed (byte* start = storage)
        {
            byte* buffer = (byte*)(((nint)start + 63) & ~(nint)63);
            nint address = (nint)buffer;
            var reader = new Thread(() =>
            {
                byte* b = (byte*)address;
                int sink = 0;
                for (int r = 0; r < rounds; r++)
                {
                    while (Volatile.Read(ref turns[8]) != 4 * r + 1) Thread.SpinWait(1);
                    processorB[r] = Thread.GetCurrentProcessorId();
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < lines; i++) sink += Volatile.Read(ref *(int*)(b + (long)i * 64));
                    long t1 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < lines; i++) sink += Volatile.Read(ref *(int*)(b + (long)i * 64));
                    long t2 = Stopwatch.GetTimestamp();
                    readRemote[r] = (t1 - t0) * nsPerTick / lines;
                    readOwn[r] = (t2 - t1) * nsPerTick / lines;
                    Volatile.Write(ref turns[8], 4 * r + 2);
                    while (Volatile.Read(ref turns[8]) != 4 * r + 3) Thread.SpinWait(1);
                    long t3 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < lines; i++) sink += Volatile.Read(ref *(int*)(b + (long)i * 64));
                    readStreamed[r] = (Stopwatch.GetTimestamp() - t3) * nsPerTick / lines;
                    Volatile.Write(ref turns[8], 4 * r + 4);
                }
                GC.KeepAlive(sink);
            }) { IsBackground = true, Name = "cache-lines reader" };
            reader.Start();
            for (int r = 0; r < rounds; r++)
            {
                while (Volatile.Read(ref turns[8]) != 4 * r) Thread.SpinWait(1);
                processorA[r] = Thread.GetCurrentProcessorId();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < lines; i++) *(int*)(buffer + (long)i * 64) = r;
                long t1 = Stopwatch.GetTimestamp();
                for (int i = 0; i < lines; i++) *(int*)(buffer + (long)i * 64) = r + 1;
                long t2 = Stopwatch.GetTimestamp();
                if (r > 0)
                {
                    // Round 0's lines come from wherever the allocation left them; from round 1 on, B has just read them.
                    writeShared[r - 1] = (t1 - t0) * nsPerTick / lines;
                    writeOwn[r - 1] = (t2 - t1) * nsPerTick / lines;
                }
                Volatile.Write(ref turns[8], 4 * r + 1);
                while (Volatile.Read(ref turns[8]) != 4 * r + 2) Thread.SpinWait(1);
                long t3 = Stopwatch.GetTimestamp();
                StreamLines(buffer, lines, r);
                streamShared[r] = (Stopwatch.GetTimestamp() - t3) * nsPerTick / lines;
                Volatile.Write(ref turns[8], 4 * r + 3);
            }
            while (Volatile.Read(ref turns[8]) != 4 * rounds) Thread.SpinWait(1);
            reader.Join();
        }
        int same = 0;
        for (int r = 0; r < rounds; r++) same += processorA[r] == processorB[r] ? 1 : 0;
        return new Result(lines, rounds, Median(writeShared), Median(writeOwn), Median(readRemote), Median(readOwn),
            Median(streamShared), Median(readStreamed), same);
    }

    // Every line stored whole with non-temporal stores at the widest accelerated width, then a store fence (what the
    // optimizers' loops would do to store parameters past the caches: docs/benchmarks.md, 2026-12-01 11:20).
    private static unsafe void StreamLines(byte* buffer, int lines, int value)
    {
        float v = value;
        for (int i = 0; i < lines; i++)
        {
            float* line = (float*)(buffer + (long)i * 64);
            if (Vector512.IsHardwareAccelerated) Vector512.StoreAlignedNonTemporal(Vector512.Create(v), line);
            else if (Vector256.IsHardwareAccelerated)
            {
                for (int k = 0; k < 16; k += 8) Vector256.StoreAlignedNonTemporal(Vector256.Create(v), line + k);
            }
            else
            {
                for (int k = 0; k < 16; k += 4) Vector128.StoreAlignedNonTemporal(Vector128.Create(v), line + k);
            }
        }
        if (Sse.IsSupported) Sse.StoreFence();
        else Interlocked.MemoryBarrier();
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
