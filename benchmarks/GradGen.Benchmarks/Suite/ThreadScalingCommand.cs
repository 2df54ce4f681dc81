using System.Diagnostics;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--thread-scaling [batch] [rounds]</c>: the generated MLP's SGD step (ThreadScalingBenchmark's step) with
/// <see cref="Parallelism.MaxThreads"/> 1 and 2, alternating rounds of 50 steps of each in one process, so that both
/// thread counts see the same machine (a build starting on the other core slows both, not one). Prints the median step
/// of each thread count over all rounds, their ratio, the median of the per-round ratios, and the process CPU time per
/// step (two threads doing the work of one in half the time spend about the same CPU time; more means spinning or
/// waiting), and the 10th percentile of each (the steps that ran undisturbed: on a busy machine, a bound on what a
/// quiet one would give, not a measurement of it). On a machine whose cores are busy with other work, the second thread waits for a core and the ratio says
/// nothing: the load average is printed before and after.</summary>
public static class ThreadScalingCommand
{
    private const int StepsPerRound = 50;

    public static int Run(string[] args)
    {
        int batch = args.Length > 0 ? int.Parse(args[0]) : 128;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 20;
        var network = new MlpNet(batch, seed: 1);
        var sgd = new Sgd<float>(network.ParameterCount, BenchmarkNetworks.LearningRate);
        var data = BenchmarkNetworks.CreateData(BenchmarkNetwork.Mlp, batch);
        Console.WriteLine($"MLP 784-256-128-64-10 SGD step, batch {batch}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        for (int warmup = 0; warmup < 4; warmup++) Round(1 + warmup % 2);

        var steps = new List<double>[] { [], [] };
        var cpu = new double[2];
        var roundRatios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double median1 = 0;
            foreach (int threads in new[] { 1, 2 })
            {
                var (times, cpuPerStep) = Round(threads);
                steps[threads - 1].AddRange(times);
                cpu[threads - 1] += cpuPerStep / rounds;
                double median = Median(times);
                if (threads == 1) median1 = median;
                else roundRatios.Add(median1 / median);
            }
        }
        Parallelism.MaxThreads = 1;
        double one = Median(steps[0]), two = Median(steps[1]);
        double fastOne = Percentile(steps[0], 0.1), fastTwo = Percentile(steps[1], 0.1);
        Console.WriteLine($"| threads | median step | 10th percentile | process CPU time per step |");
        Console.WriteLine($"| --- | ---: | ---: | ---: |");
        Console.WriteLine($"| 1 | {one:F1} µs | {fastOne:F1} µs | {cpu[0]:F1} µs |");
        Console.WriteLine($"| 2 | {two:F1} µs | {fastTwo:F1} µs | {cpu[1]:F1} µs |");
        Console.WriteLine($"speed-up (median of 1 / median of 2): {one / two:F2}×; median of the {rounds} rounds' ratios: {Median(roundRatios):F2}×; 10th percentiles: {fastOne / fastTwo:F2}×");
        // The price of a cache line moved between the cores, which the two-thread step pays on every line one core
        // writes after the other read it: on this host it has differed between boots (docs/benchmarks.md, s11-dp).
        Console.WriteLine(CacheLinesCommand.Measure(lines: 1306, rounds: 200));
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;

        (double[] Times, double CpuPerStep) Round(int threads)
        {
            Parallelism.MaxThreads = threads;
            var times = new double[StepsPerRound];
            TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            for (int s = 0; s < StepsPerRound; s++)
            {
                long start = Stopwatch.GetTimestamp();
                network.TrainStep(data.Input, data.Labels, sgd);
                times[s] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            double cpuPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMicroseconds / StepsPerRound;
            return (times, cpuPerStep);
        }
    }

    private static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

    private static double Percentile(IEnumerable<double> values, double fraction)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[(int)(fraction * (sorted.Length - 1))];
    }
}
