using System.Numerics.Tensors;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--phases NETWORK [rounds]</c>: whether the machine's own speed moves while one process runs. Each round
/// times, in thread CPU time (<see cref="CpuTimeCommand.Time(Action)"/>), Generated's SGD step of NETWORK at batch 32,
/// a sum over 16 MB (read from the shared L3 cache or memory), a sum over 256 KB (read from the core's L2) and the FMA
/// peak at the process's vector width, and prints them as one row. On a machine of its own, every column stays within
/// a few per cent; where the rows move together in phases of seconds, one benchmark case timed in one window of a few
/// seconds (as BenchmarkDotNet times each case) lands in whichever phase it meets (docs/benchmarks.md).</summary>
public static class PhasesCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || !Enum.TryParse(args[0], ignoreCase: true, out BenchmarkNetwork network))
        {
            Console.Error.WriteLine($"Usage: --phases NETWORK [rounds] (NETWORK one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
            return 2;
        }
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 30;
        var variant = BenchmarkNetworks.Create(network, Variant.Generated, BenchmarkNetworks.StepBatch);
        var data = BenchmarkNetworks.CreateData(network, BenchmarkNetworks.StepBatch);
        float[] large = Filled(4 << 20), small = Filled(64 << 10);
        int width = MachineInfo.Current().Width;
        Func<float> fma = AlternateCommand.PeakAt(width) ?? AlternateCommand.PeakAt(width = 128)!;
        long flops = BenchmarkNetworks.TrainStepFlops(network, BenchmarkNetworks.StepBatch);
        float sink = 0;
        Console.WriteLine($"{network} step, batch {BenchmarkNetworks.StepBatch}; thread CPU time, the fastest of 15 windows each; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"| round | step | step GFLOP/s | 16 MB sum | 256 KB sum | Vector{width} FMA peak | step / peak |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int round = 0; round < rounds; round++)
        {
            double step = CpuTimeCommand.Time(() => variant.TrainStep(data));
            double l3 = CpuTimeCommand.Time(() => sink += TensorPrimitives.Sum(large));
            double l2 = CpuTimeCommand.Time(() => sink += TensorPrimitives.Sum(small));
            double fmaPeak = PeakFmaBenchmark.Flops(width) / 1e3 / CpuTimeCommand.Time(() => sink += fma());
            double stepRate = flops / (step * 1e3);
            Console.WriteLine($"| {round + 1} | {step:F1} µs | {stepRate:F1} | {large.Length * 4 / (l3 * 1e3):F1} GB/s | {small.Length * 4 / (l2 * 1e3):F1} GB/s | {fmaPeak:F1} GFLOP/s | {stepRate / fmaPeak * 100:F0}% |");
        }
        GC.KeepAlive(sink);
        return 0;
    }

    private static float[] Filled(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = i % 7;
        return values;
    }
}
