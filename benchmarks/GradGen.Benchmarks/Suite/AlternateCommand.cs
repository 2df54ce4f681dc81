namespace GradGen.Benchmarks.Suite;

/// <summary><c>--alternate NETWORK step|forward [rounds]</c>: the Generated and HandWrittenExpert variants' SGD step or
/// forward (batch 32), timed in thread CPU time (<see cref="CpuTimeCommand.Time"/>: the fastest of 15 windows) in
/// alternating rounds in one process, after a first round that warms both: the fastest and the median round of each,
/// and Expert's time over Generated's. On a busy machine one round of each can land in different moments; many
/// alternating rounds make the comparison between the two fair.</summary>
public static class AlternateCommand
{
    public static int Run(string[] args)
    {
        if (args.Length < 2 || !Enum.TryParse(args[0], ignoreCase: true, out BenchmarkNetwork network) || args[1] is not ("step" or "forward"))
        {
            Console.Error.WriteLine($"Usage: --alternate NETWORK step|forward [rounds] (NETWORK one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
            return 2;
        }
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 8;
        const int B = BenchmarkNetworks.StepBatch;
        var variants = BenchmarkNetworks.CreateAll(network, B);
        var data = BenchmarkNetworks.CreateData(network, B);
        Action For(Variant v) => args[1] == "step"
            ? () => variants[(int)v].TrainStep(data)
            : () => variants[(int)v].Forward(data.Input);
        Action generated = For(Variant.Generated), expert = For(Variant.HandWrittenExpert);
        CpuTimeCommand.Time(generated);
        CpuTimeCommand.Time(expert);
        var g = new List<double>();
        var e = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            g.Add(CpuTimeCommand.Time(generated));
            e.Add(CpuTimeCommand.Time(expert));
        }
        g.Sort();
        e.Sort();
        double Median(List<double> t) => t[t.Count / 2];
        Console.WriteLine($"{network} {args[1]}, batch {B}, {rounds} alternating rounds, thread CPU µs; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"| {network} | {args[1]} | Generated {g[0]:F1} (median {Median(g):F1}) | Expert {e[0]:F1} (median {Median(e):F1}) | Expert / Generated {e[0] / g[0]:F2}× (medians {Median(e) / Median(g):F2}×) |");
        return 0;
    }
}
