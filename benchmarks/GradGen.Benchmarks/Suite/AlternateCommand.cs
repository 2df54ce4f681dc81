namespace GradGen.Benchmarks.Suite;

/// <summary><c>--alternate NETWORK step|forward [rounds] [thread] [batch=N]</c>: the Generated and HandWrittenExpert variants' SGD step or
/// forward (batch 32, or N), timed in thread CPU time (<see cref="CpuTimeCommand.Time(Action)"/>: the fastest of 15 windows) in
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
            Console.Error.WriteLine($"Usage: --alternate NETWORK step|forward [rounds] [thread] [batch=N] (NETWORK one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
            return 2;
        }
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 8;
        // "thread": measure on a new thread (as BenchmarkDotNet's in-process toolchain may), to see whether where the
        // thread's stack and per-thread buffers lie changes the times. "batch=N": batch N instead of 32.
        bool newThread = args.Skip(3).Contains("thread");
        string? batchArg = args.Skip(3).FirstOrDefault(a => a.StartsWith("batch=", StringComparison.Ordinal));
        int batch = batchArg is null ? BenchmarkNetworks.StepBatch : int.Parse(batchArg["batch=".Length..]);
        AlternatingCheck check = null!;
        if (newThread)
        {
            var thread = new Thread(() => check = Measure(network, args[1], rounds, batch));
            thread.Start();
            thread.Join();
        }
        else check = Measure(network, args[1], rounds, batch);
        Console.WriteLine($"{network} {args[1]}, batch {batch}, {rounds} alternating rounds, thread CPU µs; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"| {network} | {args[1]} | Generated {check.Generated:F1} (median {check.GeneratedMedian:F1}) | Expert {check.Expert:F1} (median {check.ExpertMedian:F1}) | Expert / Generated {check.Expert / check.Generated:F2}× (medians {check.ExpertMedian / check.GeneratedMedian:F2}×) |");
        double[] ratios = check.ExpertRatios(), fractions = check.FractionsOfPeak(Flops(network, args[1], batch));
        Console.WriteLine($"Rounds' Expert / Generated: median {Median(ratios):F2}×, lowest {ratios.Min():F2}×" +
            (fractions.Length > 0 ? $"; Generated's fraction of the Vector{check.PeakWidth} peak timed in the same round: median {Median(fractions) * 100:F0}%, {fractions.Min() * 100:F0}–{fractions.Max() * 100:F0}%" : ""));
        return 0;
    }

    /// <summary>Generated against HandWrittenExpert on <paramref name="network"/>'s "step" or "forward" at batch 32:
    /// <paramref name="rounds"/> alternating rounds after one that warms both. Each round also times the FMA peak at the
    /// process's vector width (<see cref="PeakFmaBenchmark"/>), so that every round's step or forward is stated as a
    /// fraction of a peak measured seconds from it: on a virtual machine the core's speed moves between phases that last
    /// seconds (docs/benchmarks.md, "Why the suite's BenchmarkDotNet mean and its interleaved check differ"), and a
    /// fraction against a peak taken minutes away carries that drift.</summary>
    public static AlternatingCheck Measure(BenchmarkNetwork network, string kind, int rounds, int batch = BenchmarkNetworks.StepBatch)
    {
        int B = batch;
        var variants = BenchmarkNetworks.CreateAll(network, B);
        var data = BenchmarkNetworks.CreateData(network, B);
        Action For(Variant v) => kind == "step"
            ? () => variants[(int)v].TrainStep(data)
            : () => variants[(int)v].Forward(data.Input);
        Action generated = For(Variant.Generated), expert = For(Variant.HandWrittenExpert);
        int width = MachineInfo.Current().Width;
        Func<float>? fma = PeakAt(width);
        float sink = 0;
        CpuTimeCommand.Time(generated);
        CpuTimeCommand.Time(expert);
        var g = new double[rounds];
        var e = new double[rounds];
        var peak = new double[rounds];
        double gWall = double.MaxValue, eWall = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            peak[round] = fma is null ? double.NaN : PeakFmaBenchmark.Flops(width) / 1e3 / CpuTimeCommand.Time(() => sink += fma());
            g[round] = CpuTimeCommand.Time(generated, out double wall);
            gWall = Math.Min(gWall, wall);
            e[round] = CpuTimeCommand.Time(expert, out wall);
            eWall = Math.Min(eWall, wall);
        }
        GC.KeepAlive(sink);
        return new AlternatingCheck(network, kind, rounds, g.Min(), e.Min(), Median(g), Median(e), gWall, eWall)
        {
            Batch = batch,
            GeneratedRounds = g,
            ExpertRounds = e,
            PeakRounds = peak,
            PeakWidth = width,
        };
    }

    /// <summary>FLOPs of one call of <paramref name="kind"/> ("step" or "forward") at <paramref name="batch"/>.</summary>
    internal static long Flops(BenchmarkNetwork network, string kind, int batch = BenchmarkNetworks.StepBatch) => kind == "step"
        ? BenchmarkNetworks.TrainStepFlops(network, batch)
        : BenchmarkNetworks.ForwardFlops(network, batch);

    /// <summary>The peak FMA loop of <paramref name="bits"/>-bit vectors, or null when no width is accelerated.</summary>
    internal static Func<float>? PeakAt(int bits)
    {
        var peak = new PeakFmaBenchmark();
        return bits switch
        {
            512 => peak.Vector512Float,
            256 => peak.Vector256Float,
            128 => peak.Vector128Float,
            _ => null,
        };
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

/// <summary>One <see cref="AlternateCommand.Measure"/>: µs per call, the fastest and the median round in thread CPU time
/// of Generated and of HandWrittenExpert, and the fastest window of each by the wall clock; and every round's times with
/// the FMA peak (GFLOP/s at <see cref="PeakWidth"/> bits) measured in the same round.</summary>
public sealed record AlternatingCheck(BenchmarkNetwork Network, string Case, int Rounds, double Generated, double Expert,
    double GeneratedMedian, double ExpertMedian, double GeneratedWall, double ExpertWall)
{
    public double[] GeneratedRounds { get; init; } = [];
    public double[] ExpertRounds { get; init; } = [];
    public double[] PeakRounds { get; init; } = [];
    public int PeakWidth { get; init; }

    /// <summary>The batch of every call (runs saved before it was recorded ran batch 32).</summary>
    public int Batch { get; init; } = BenchmarkNetworks.StepBatch;

    /// <summary>FLOPs of one call.</summary>
    public long Flops => AlternateCommand.Flops(Network, Case, Batch);

    /// <summary>Generated's fraction of the peak in each round: its GFLOP/s over the peak timed in the same round.
    /// Empty for a saved run from before the peak was interleaved, or without an accelerated width.</summary>
    public double[] FractionsOfPeak(long flops) =>
        GeneratedRounds.Length == PeakRounds.Length
            ? GeneratedRounds.Zip(PeakRounds, (us, gflops) => flops / (us * 1e3) / gflops).Where(double.IsFinite).ToArray()
            : [];

    /// <summary>Expert's time over Generated's in each round (above 1: Generated is faster).</summary>
    public double[] ExpertRatios() => GeneratedRounds.Zip(ExpertRounds, (g, e) => e / g).ToArray();
}
