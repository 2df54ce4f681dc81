using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--cpu-time [network…]</c>: the SGD step (batch 32) and the forward at batch 1 and 32 of each network in
/// the Generated, HandWrittenExpert and HandWrittenIdiomatic variants, timed by the calling thread's CPU time
/// (CLOCK_THREAD_CPUTIME_ID): the fastest of 15 windows of about 20 ms of CPU time each, after 300 ms of warm-up.
/// On a machine shared with other work, wall-clock times count the time the thread waits for a core; its CPU time does
/// not, so this is the comparison to make there (before/after a change, run alternately). It still counts what other
/// processes do to the caches, and it is meaningless for more than one thread. Linux only.</summary>
public static class CpuTimeCommand
{
    private static readonly Variant[] Variants = [Variant.Generated, Variant.HandWrittenExpert, Variant.HandWrittenIdiomatic];

    public static int Run(string[] args)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("--cpu-time reads CLOCK_THREAD_CPUTIME_ID: Linux only");
            return 2;
        }
        if (!TryParseNetworks(args, out var networks)) return 2;
        Console.WriteLine($"Thread CPU time, µs, fastest of 15 windows; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| network | case | Generated | HandWrittenExpert | HandWrittenIdiomatic |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var network in networks)
        {
            var step = BenchmarkNetworks.CreateAll(network, BenchmarkNetworks.StepBatch);
            var data = BenchmarkNetworks.CreateData(network, BenchmarkNetworks.StepBatch);
            Row(network, "SGD step, batch 32", v => () => step[(int)v].TrainStep(data));
            foreach (int batch in new[] { 1, 32 })
            {
                var forward = BenchmarkNetworks.CreateAll(network, batch);
                float[] input = BenchmarkNetworks.CreateData(network, batch).Input;
                Row(network, $"forward, batch {batch}", v => () => forward[(int)v].Forward(input));
            }
        }
        return 0;
    }

    /// <summary>The networks named in <paramref name="args"/>, or all of them when there is none.</summary>
    internal static bool TryParseNetworks(string[] args, out List<BenchmarkNetwork> networks)
    {
        networks = [];
        foreach (string name in args)
        {
            if (!Enum.TryParse(name, ignoreCase: true, out BenchmarkNetwork network))
            {
                Console.Error.WriteLine($"Unknown network '{name}' (one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
                return false;
            }
            networks.Add(network);
        }
        if (networks.Count == 0) networks.AddRange(Enum.GetValues<BenchmarkNetwork>());
        return true;
    }

    private static void Row(BenchmarkNetwork network, string name, Func<Variant, Action> action)
    {
        double generated = Time(action(Variant.Generated));
        var cells = new List<string> { $"{generated:F1}" };
        foreach (var variant in Variants.Skip(1))
        {
            double t = Time(action(variant));
            cells.Add($"{t:F1} ({t / generated:F2}×)");
        }
        Console.WriteLine($"| {network} | {name} | {string.Join(" | ", cells)} |");
    }

    /// <summary>Microseconds of thread CPU time per call: the fastest of 15 windows.</summary>
    internal static double Time(Action action) => Time(action, out _);

    /// <summary><see cref="Time(Action)"/>, and the fastest of the same windows by the wall clock.</summary>
    internal static double Time(Action action, out double wallBest)
    {
        var warmup = Stopwatch.StartNew();
        int calls = 0;
        while (warmup.ElapsedMilliseconds < 300) { action(); calls++; }
        int perRead = Math.Max(1, calls / 300); // about a millisecond of calls between clock reads
        double best = double.MaxValue;
        wallBest = double.MaxValue;
        for (int window = 0; window < 15; window++)
        {
            int n = 0;
            long wallStart = Stopwatch.GetTimestamp();
            double start = ThreadCpuMicroseconds(), end;
            do
            {
                for (int i = 0; i < perRead; i++) action();
                n += perRead;
                end = ThreadCpuMicroseconds();
            } while (end - start < 20_000);
            best = Math.Min(best, (end - start) / n);
            wallBest = Math.Min(wallBest, Stopwatch.GetElapsedTime(wallStart).TotalMicroseconds / n);
        }
        return best;
    }

    private const int ClockThreadCpuTime = 3;

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern unsafe int ClockGetTime(int clock, long* timespec);

    internal static unsafe double ThreadCpuMicroseconds()
    {
        long* ts = stackalloc long[2];
        if (ClockGetTime(ClockThreadCpuTime, ts) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return ts[0] * 1e6 + ts[1] / 1e3;
    }
}
