using GradGen.Curvature;
using GradGen.Optim;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--hvp-cpu-time [rounds]</c>: <see cref="HessianVectorProductBenchmark"/>'s four cases (the float32 and
/// float64 Adam steps, and one H·v of the float32 and of the Float64 MLP at batch 32) timed by the calling thread's CPU
/// time, as <see cref="CpuTimeCommand"/> does, in rounds that alternate the cases, so that a busy machine's load falls
/// on all of them alike. Prints each round's times and its H·v / float32 step ratios. Single-threaded (the default
/// <see cref="Kernels.Parallelism.MaxThreads"/> of 1), as the CPU time of one thread requires.</summary>
public static class HessianCpuTimeCommand
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var benchmark = new HessianVectorProductBenchmark();
        benchmark.Setup();
        var hessian64 = benchmark.CreateFloat64Hessian();
        var v = benchmark.Direction;
        var hv = new double[v.Length];

        // The precision of the float32 products on this network: against the Float64 twin's, at the same parameters.
        var hv32 = new double[v.Length];
        benchmark.HessianVectorProduct();
        benchmark.Product.CopyTo(hv32, 0);
        hessian64.Multiply(v, hv);
        double scale = hv.Max(Math.Abs), worst = hv32.Zip(hv, (a, b) => Math.Abs(a - b)).Max();
        Console.WriteLine($"H·v of the float32 network against the Float64 twin's: worst difference {worst / scale:E2} of max |Hv| = {scale:E3}");
        Console.WriteLine($"Thread CPU time, µs, fastest of 15 windows; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| round | float32 step | float64 step | H·v, float32 network | H·v, Float64 network | H·v / float32 step | H·v (Float64) / float64 step |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
        for (int round = 1; round <= rounds; round++)
        {
            double step = CpuTimeCommand.Time(() => benchmark.TrainStep());
            double step64 = CpuTimeCommand.Time(() => benchmark.TrainStepFloat64());
            double product = CpuTimeCommand.Time(benchmark.HessianVectorProduct);
            double product64 = CpuTimeCommand.Time(() => hessian64.Multiply(v, hv));
            Console.WriteLine($"| {round} | {step:F0} | {step64:F0} | {product:F0} | {product64:F0} | {product / step:F2} | {product64 / step64:F2} |");
        }
        return 0;
    }
}
