namespace GradGen.Benchmarks.Suite;

/// <summary><c>--alternate NETWORK step|forward [rounds] [thread]</c>: the Generated and HandWrittenExpert variants' SGD step or
/// forward (batch 32), timed in thread CPU time (<see cref="CpuTimeCommand.Time(Action)"/>: the fastest of 15 windows) in
/// alternating rounds in one process, after a first round that warms both: the fastest and the median round of each,
/// and Expert's time over Generated's. On a busy machine one round of each can land in different moments; many
/// alternating rounds make the comparison between the two fair. The suite runs the same check after its benchmarks,
/// in its own process (<see cref="Measure"/>).</summary>
public static class AlternateCommand
{
    public static int Run(string[] args)
    {
        if (args.Length < 2 || !Enum.TryParse(args[0], ignoreCase: true, out BenchmarkNetwork network) || args[1] is not ("step" or "forward"))
        {
            Console.Error.WriteLine($"Usage: --alternate NETWORK step|forward [rounds] [thread] (NETWORK one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
            return 2;
        }
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 8;
        // "thread": measure on a new thread (as BenchmarkDotNet's in-process toolchain may), to see whether where the
        // thread's stack and per-thread buffers lie changes the times.
        bool newThread = args.Length > 3 && args[3] == "thread";
        AlternatingCheck check = null!;
        if (newThread)
        {
            var thread = new Thread(() => check = Measure(network, args[1], rounds));
            thread.Start();
            thread.Join();
        }
        else check = Measure(network, args[1], rounds);
        Console.WriteLine($"{network} {args[1]}, batch {BenchmarkNetworks.StepBatch}, {rounds} alternating rounds, thread CPU µs; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"| {network} | {args[1]} | Generated {check.Generated:F1} (median {check.GeneratedMedian:F1}) | Expert {check.Expert:F1} (median {check.ExpertMedian:F1}) | Expert / Generated {check.Expert / check.Generated:F2}× (medians {check.ExpertMedian / check.GeneratedMedian:F2}×) |");
        return 0;
    }

    /// <summary>Generated against HandWrittenExpert on <paramref name="network"/>'s "step" or "forward" at batch 32:
    /// <paramref name="rounds"/> alternating rounds after one that warms both.</summary>
    public static AlternatingCheck Measure(BenchmarkNetwork network, string kind, int rounds)
    {
        const int B = BenchmarkNetworks.StepBatch;
        var variants = BenchmarkNetworks.CreateAll(network, B);
        var data = BenchmarkNetworks.CreateData(network, B);
        Action For(Variant v) => kind == "step"
            ? () => variants[(int)v].TrainStep(data)
            : () => variants[(int)v].Forward(data.Input);
        Action generated = For(Variant.Generated), expert = For(Variant.HandWrittenExpert);
        CpuTimeCommand.Time(generated);
        CpuTimeCommand.Time(expert);
        var g = new List<double>();
        var e = new List<double>();
        double gWall = double.MaxValue, eWall = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            g.Add(CpuTimeCommand.Time(generated, out double wall));
            gWall = Math.Min(gWall, wall);
            e.Add(CpuTimeCommand.Time(expert, out wall));
            eWall = Math.Min(eWall, wall);
        }
        g.Sort();
        e.Sort();
        return new AlternatingCheck(network, kind, rounds, g[0], e[0], g[g.Count / 2], e[e.Count / 2], gWall, eWall);
    }
}

/// <summary>One <see cref="AlternateCommand.Measure"/>: µs per call, the fastest and the median round in thread CPU time
/// of Generated and of HandWrittenExpert, and the fastest window of each by the wall clock.</summary>
public sealed record AlternatingCheck(BenchmarkNetwork Network, string Case, int Rounds, double Generated, double Expert,
    double GeneratedMedian, double ExpertMedian, double GeneratedWall, double ExpertWall);
