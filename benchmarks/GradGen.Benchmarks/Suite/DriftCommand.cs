using System.Diagnostics;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--drift NETWORK [rounds]</c>: SGD steps (batch 32) of the Generated and HandWrittenExpert variants in
/// alternating rounds of 200 steps each on the same batch, as BenchmarkDotNet repeats them: per round the wall-clock
/// and thread CPU time per step, the loss, and how many of Generated's gradients and parameters are subnormal. It shows
/// whether a step's time changes as the training on one batch goes on.</summary>
public static class DriftCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || !Enum.TryParse(args[0], ignoreCase: true, out BenchmarkNetwork network))
        {
            Console.Error.WriteLine($"Usage: --drift NETWORK [rounds] (NETWORK one of {string.Join(", ", Enum.GetNames<BenchmarkNetwork>())})");
            return 2;
        }
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 10;
        const int Steps = 200;
        var variants = BenchmarkNetworks.CreateAll(network, BenchmarkNetworks.StepBatch);
        var data = BenchmarkNetworks.CreateData(network, BenchmarkNetworks.StepBatch);
        Console.WriteLine($"{network}: µs per step (wall / thread CPU), {Steps} steps a round; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        variants[(int)Variant.Generated].TrainStep(data);
        Console.WriteLine($"Placement: Generated's parameters at {Address(variants[(int)Variant.Generated].Parameters) % 4096} mod 4096, " +
            $"gradients at {Address(variants[(int)Variant.Generated].Gradients) % 4096}, the packing buffer at {PackBufferAddress() % 4096}, " +
            $"Expert's parameters at {Address(variants[(int)Variant.HandWrittenExpert].Parameters) % 4096}");
        Console.WriteLine("| steps | Generated | loss | HandWrittenExpert | loss | Generated's subnormal gradients | parameters |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int round = 0; round < rounds; round++)
        {
            var cells = new List<string> { $"{(round + 1) * Steps}" };
            foreach (var variant in new[] { Variant.Generated, Variant.HandWrittenExpert })
            {
                var v = variants[(int)variant];
                double cpu0 = CpuTimeCommand.ThreadCpuMicroseconds();
                long t0 = Stopwatch.GetTimestamp();
                float loss = 0;
                for (int i = 0; i < Steps; i++) loss = v.TrainStep(data);
                double wall = Stopwatch.GetElapsedTime(t0).TotalMicroseconds / Steps, cpu = (CpuTimeCommand.ThreadCpuMicroseconds() - cpu0) / Steps;
                cells.Add($"{wall:F1} / {cpu:F1}");
                cells.Add($"{loss:E2}");
            }
            cells.Add(Subnormals(variants[(int)Variant.Generated].Gradients).ToString());
            cells.Add(Subnormals(variants[(int)Variant.Generated].Parameters).ToString());
            Console.WriteLine($"| {string.Join(" | ", cells)} |");
        }
        return 0;
    }

    private static unsafe long Address(ReadOnlySpan<float> span)
    {
        fixed (float* p = span) return (long)p;
    }

    // The calling thread's packing buffer (GradGen.Kernels.PackBuffer<float>.t_buffer), found by reflection.
    private static unsafe long PackBufferAddress()
    {
        var type = typeof(GradGen.Kernels.Dense).Assembly.GetType("GradGen.Kernels.PackBuffer`1")!.MakeGenericType(typeof(float));
        var buffer = (float[]?)type.GetField("t_buffer", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null);
        if (buffer is null) return -1;
        fixed (float* p = buffer) return ((long)p + 63) & ~63L;
    }

    private static int Subnormals(ReadOnlySpan<float> values)
    {
        int count = 0;
        foreach (float x in values) if (float.IsSubnormal(x)) count++;
        return count;
    }
}
