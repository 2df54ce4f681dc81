using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using GradGen;
using GradGen.Optim;

// The 784-256-128-64-10 MLP of issue 9's overhead targets, declared three times: without instrumentation, with
// statistics compiled in, with anomaly detection compiled in. The same layers and initialisation in each.

/// <summary>No instrumentation: the generated code is the same as before instrumentation existed (the golden files prove it).</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class OverheadMlpPlain;

/// <summary>Statistics compiled in.</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class OverheadMlpStatistics;

/// <summary>Anomaly detection compiled in, no statistics.</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.AnomalyDetection)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class OverheadMlpAnomaly;

/// <summary>What instrumentation costs per training step (forward, cross-entropy, backward, SGD) of the
/// 784-256-128-64-10 MLP in float32, one thread. Issue 9's targets, against <see cref="CompiledOut"/>: compiled out
/// within noise; sampled every step ≤ 15% slower; every 100th step ≤ 2%; anomaly detection ≤ 3%.
/// Run: <c>dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --filter '*InstrumentationOverhead*'</c>;
/// results in docs/instrumentation-overhead.md.</summary>
// Min and median next to the mean: on a shared machine the minimum is the least disturbed figure.
[MemoryDiagnoser, MinColumn, MedianColumn]
public class InstrumentationOverheadBenchmark
{
    private OverheadMlpPlain _plain = null!, _plainAgain = null!;
    private OverheadMlpStatistics _disabled = null!, _everyStep = null!, _every100 = null!;
    private OverheadMlpAnomaly _anomaly = null!;
    private Sgd<float> _sgd = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [Params(32, 128)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Every network's arena at the same offset within a 64-byte cache line as the baseline's: the arena is a plain
        // array, placed wherever the allocator puts it, and an AVX-512 load across two lines costs more than one
        // inside a line, so two instances of the same code can differ by a few % (measured: the A/A control below).
        _plain = new OverheadMlpPlain(Batch, seed: 1);
        int line = CacheLineOffset(_plain);
        _plainAgain = AtCacheLineOffset(line, () => new OverheadMlpPlain(Batch, seed: 1));
        _disabled = AtCacheLineOffset(line, () => new OverheadMlpStatistics(Batch, seed: 1));
        _disabled.Monitor!.Enabled = false;
        _everyStep = AtCacheLineOffset(line, () => new OverheadMlpStatistics(Batch, seed: 1));
        _everyStep.Monitor!.SampleEvery = 1;
        _every100 = AtCacheLineOffset(line, () => new OverheadMlpStatistics(Batch, seed: 1));
        _every100.Monitor!.SampleEvery = 100;
        _anomaly = AtCacheLineOffset(line, () => new OverheadMlpAnomaly(Batch, seed: 1));
        // One SGD for all: plain SGD has no state, and every network has the same parameter count.
        _sgd = new Sgd<float>(_plain.ParameterCount, 1e-3);
        var rng = new Rng(2);
        _input = new float[Batch * 784];
        foreach (ref float x in _input.AsSpan()) x = (float)rng.NextDouble();
        _labels = new int[Batch];
        foreach (ref int y in _labels.AsSpan()) y = rng.NextInt(10);
    }

    /// <summary>The byte offset of a network's arena (its first parameter) within a 64-byte cache line.</summary>
    internal static unsafe int CacheLineOffset(Network<float> network)
    {
        fixed (float* p = network.Parameters) return (int)((nuint)p % 64);
    }

    /// <summary>The first network <paramref name="create"/> returns whose arena sits at <paramref name="offset"/> within a
    /// cache line (the allocator places consecutive arenas at offsets that cycle); after 64 tries, the last one.</summary>
    internal static TNetwork AtCacheLineOffset<TNetwork>(int offset, Func<TNetwork> create) where TNetwork : Network<float>
    {
        TNetwork network = create();
        for (int attempt = 1; attempt < 64 && CacheLineOffset(network) != offset; attempt++) network = create();
        return network;
    }

    /// <summary>The arenas' offsets within a cache line, baseline first, to be printed with the results.</summary>
    internal string CacheLineOffsets => string.Join(", ", new Network<float>[] { _plain, _plainAgain, _disabled, _everyStep, _every100, _anomaly }.Select(n => CacheLineOffset(n).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The network sampled every step, for timing the parts of a sampled step.</summary>
    internal OverheadMlpStatistics SampledNetwork => _everyStep;

    [Benchmark(Baseline = true)]
    public float CompiledOut() => _plain.TrainStep(_input, _labels, _sgd);

    /// <summary>A second instance of the baseline: the A/A control, whose difference from <see cref="CompiledOut"/> is the noise floor.</summary>
    [Benchmark]
    public float CompiledOutAgain() => _plainAgain.TrainStep(_input, _labels, _sgd);

    [Benchmark]
    public float CompiledInDisabled() => _disabled.TrainStep(_input, _labels, _sgd);

    [Benchmark]
    public float SampledEveryStep() => _everyStep.TrainStep(_input, _labels, _sgd);

    [Benchmark]
    public float SampledEvery100th() => _every100.TrainStep(_input, _labels, _sgd);

    [Benchmark]
    public float AnomalyDetection() => _anomaly.TrainStep(_input, _labels, _sgd);
}

/// <summary>What each clipper adds to the same training step (batch 32): the clip runs between the gradients and the
/// update over all 242,762 gradients.</summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class ClippingOverheadBenchmark
{
    private OverheadMlpPlain _network = null!;
    private Sgd<float> _sgd = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [Params("none", "norm", "value", "per-layer", "autoclip")]
    public string Clipping { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _network = new OverheadMlpPlain(32, seed: 1)
        {
            Clipping = Clipping switch
            {
                "norm" => new ClipByNorm<float>(1.0),
                "value" => new ClipByValue<float>(0.01),
                "per-layer" => new ClipPerLayerByNorm<float>(0.5),
                "autoclip" => new AutoClip<float>(10),
                _ => null,
            },
        };
        _sgd = new Sgd<float>(_network.ParameterCount, 1e-3);
        var rng = new Rng(2);
        _input = new float[32 * 784];
        foreach (ref float x in _input.AsSpan()) x = (float)rng.NextDouble();
        _labels = new int[32];
        foreach (ref int y in _labels.AsSpan()) y = rng.NextInt(10);
    }

    [Benchmark]
    public float TrainStep() => _network.TrainStep(_input, _labels, _sgd);
}

/// <summary>The same variants as <see cref="InstrumentationOverheadBenchmark"/>, measured so that a busy machine
/// disturbs them alike: interleaved round by round (each round runs 100 steps of every variant, in an order rotated each
/// round), timed with the thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), which does not count the time the thread
/// waits for a core. A round of 100 steps holds exactly one sampled step of the every-100th variant. Linux only.
/// Run: <c>dotnet run -c Release benchmarks/instrumentation-overhead.cs [rounds]</c>.</summary>
/// <remarks>
/// Each variant is compared with <c>CompiledOut</c> round by round: the ratio of their times in the same round, when
/// the machine's load was the same for both. The reported overhead is the geometric mean of those paired ratios, with a
/// 95% confidence interval from their spread (mean of the logarithms ± 1.96 standard errors, a normal approximation
/// that needs some 30 rounds or more). The interval shrinks as 1/√rounds: with the round-to-round spread of a loaded
/// machine (a few %), a few hundred rounds resolve 1%.
/// </remarks>
public static class InstrumentationOverheadInterleaved
{
    private const int StepsPerRound = 100;

    /// <summary>Prints the CPU (from /proc/cpuinfo) and the load average, to be quoted with the numbers.</summary>
    public static void PrintMachine(string when)
    {
        string Field(string name) => File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        if (when == "start")
        {
            Console.WriteLine($"CPU: {Field("model name")}, family {Field("cpu family")}, model {Field("model")}; {Environment.ProcessorCount} logical cores; " +
                $"Vector512 accelerated: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated}; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        }
        Console.WriteLine($"load average at {when} ({DateTime.UtcNow:HH:mm} UTC, 1/5/15 min, runnable/total): {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>The variants of issue 9's targets and the A/A control: per variant, the median CPU time per step and the paired ratio
    /// to the compiled-out network with its 95% confidence interval.</summary>
    public static void Run(int batch, int rounds)
    {
        var b = new InstrumentationOverheadBenchmark { Batch = batch };
        b.Setup();
        (string, Action)[] variants =
        [
            (nameof(b.CompiledOut), () => b.CompiledOut()), (nameof(b.CompiledOutAgain), () => b.CompiledOutAgain()),
            (nameof(b.CompiledInDisabled), () => b.CompiledInDisabled()),
            (nameof(b.SampledEveryStep), () => b.SampledEveryStep()), (nameof(b.SampledEvery100th), () => b.SampledEvery100th()),
            (nameof(b.AnomalyDetection), () => b.AnomalyDetection()),
        ];
        Console.WriteLine($"batch {batch}: {rounds} rounds of {StepsPerRound} steps per variant, thread CPU time per step; " +
            $"arena offsets within a cache line (bytes, in this order): {b.CacheLineOffsets}");
        Report(variants, Interleave(variants, StepsPerRound, rounds), "ratio to CompiledOut");
    }

    /// <summary>What a sampled step adds, part by part, timed the same way (interleaved, paired): the update with and
    /// without the per-tensor sums (ApplyUpdate on a sampled and an unsampled step, SGD, all 242,762 parameters), and the
    /// activation and output-gradient statistics of the four layers as the passes record them.</summary>
    public static void Parts(int batch, int rounds)
    {
        var b = new InstrumentationOverheadBenchmark { Batch = batch };
        b.Setup();
        var net = b.SampledNetwork;
        var monitor = net.Monitor!;
        var sgd = new Sgd<float>(net.ParameterCount, 1e-3);
        b.SampledEveryStep(); // gradients and layer outputs in place
        var outputs = net.LayerTable.Select(net.CopyLayerOutput).ToArray();
        var gradients = net.LayerTable.Select(net.CopyLayerOutputGradient).ToArray();
        (string, Action)[] parts =
        [
            ("update, unsampled", () => { monitor.Enabled = false; net.ApplyUpdate(sgd); monitor.Enabled = true; }),
            ("update, sampled (sums in the pass)", () => { monitor.BeginStep(); net.ApplyUpdate(sgd); }),
            ("activation statistics, 4 layers", () =>
            {
                for (int l = 0; l < outputs.Length; l++) monitor.RecordActivations<float>(l, outputs[l], batch, net.LayerTable[l].Width, net.LayerTable[l].Width);
            }),
            ("output-gradient statistics, 4 layers", () =>
            {
                for (int l = 0; l < gradients.Length; l++) monitor.RecordGradients<float>(l, gradients[l], batch, net.LayerTable[l].Width, net.LayerTable[l].Width);
            }),
        ];
        Console.WriteLine($"batch {batch}: the parts of a sampled step, {rounds} rounds of {StepsPerRound} calls, thread CPU time per call");
        Report(parts, Interleave(parts, StepsPerRound, rounds), "ratio to the unsampled update");
    }

    /// <summary>What the FashionMnist sample's <c>--log</c> and <c>--dashboard</c> add on the training thread (issue 13's 2%):
    /// the sample's own settings (batch 128, Adam) with statistics sampled every 10th step, as the sample does, into a
    /// <see cref="GradGen.Dashboard.DashboardFeed"/> (histograms on, the feed's pump running on another thread, records
    /// written to <paramref name="logPath"/>), against the same network without instrumentation; and the parts of that
    /// cost: statistics alone (no feed, no histograms), and the feed with every 50th step sampled. Each network has its
    /// own Adam (its moments are per network).</summary>
    public static void Dashboard(int batch, int rounds, string logPath)
    {
        // Every network's arena at the baseline's offset within a cache line, as in InstrumentationOverheadBenchmark.
        var plain = new OverheadMlpPlain(batch, seed: 1);
        int line = InstrumentationOverheadBenchmark.CacheLineOffset(plain);
        TNetwork Aligned<TNetwork>(Func<TNetwork> create) where TNetwork : Network<float> => InstrumentationOverheadBenchmark.AtCacheLineOffset(line, create);
        var plainAgain = Aligned(() => new OverheadMlpPlain(batch, seed: 1));
        var statistics = Aligned(() => new OverheadMlpStatistics(batch, seed: 1));
        statistics.Monitor!.SampleEvery = 10;
        var fed = Aligned(() => new OverheadMlpStatistics(batch, seed: 1));
        fed.Monitor!.SampleEvery = 10;
        var fed50 = Aligned(() => new OverheadMlpStatistics(batch, seed: 1));
        fed50.Monitor!.SampleEvery = 50;
        using var feed = new GradGen.Dashboard.DashboardFeed(logPath);
        feed.AddRun("every10", "sampled every 10th step", fed.Monitor!);
        feed.AddRun("every50", "sampled every 50th step", fed50.Monitor!);
        var rng = new Rng(2);
        var input = new float[batch * 784];
        foreach (ref float x in input.AsSpan()) x = (float)rng.NextDouble();
        var labels = new int[batch];
        foreach (ref int y in labels.AsSpan()) y = rng.NextInt(10);
        (string, Action)[] variants = new (string, Network<float, int>)[]
        {
            ("CompiledOut", plain), ("CompiledOutAgain", plainAgain), ("statistics every 10th, no feed", statistics),
            ("feed (histograms, pump, log), every 10th", fed), ("feed, every 50th", fed50),
        }.Select(v =>
        {
            var adam = new Adam<float>(v.Item2.ParameterCount, 1e-4);
            return (v.Item1, (Action)(() => v.Item2.TrainStep(input, labels, adam)));
        }).ToArray();
        Console.WriteLine($"batch {batch}, Adam: {rounds} rounds of {StepsPerRound} steps per variant, thread CPU time per step; the feed's log: {logPath}");
        Report(variants, Interleave(variants, StepsPerRound, rounds), "ratio to CompiledOut");
    }

    // Runs every action `calls` times per round, in an order rotated each round; returns the CPU µs per call [action, round].
    private static double[,] Interleave((string Name, Action Call)[] actions, int calls, int rounds)
    {
        foreach (var a in actions) for (int i = 0; i < 3 * calls; i++) a.Call(); // past tiered compilation
        var perCall = new double[actions.Length, rounds];
        for (int r = 0; r < rounds; r++)
        {
            for (int j = 0; j < actions.Length; j++)
            {
                int k = (j + r) % actions.Length;
                long start = ThreadCpuNanoseconds();
                for (int s = 0; s < calls; s++) actions[k].Call();
                perCall[k, r] = (ThreadCpuNanoseconds() - start) / 1e3 / calls;
            }
        }
        return perCall;
    }

    private static void Report((string Name, Action Call)[] actions, double[,] perCall, string ratioTo)
    {
        int rounds = perCall.GetLength(1);
        Console.WriteLine($"| variant | median (µs) | {ratioTo}: geometric mean of paired rounds | 95% CI | median of paired ratios |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (int k = 0; k < actions.Length; k++)
        {
            double[] own = Enumerable.Range(0, rounds).Select(r => perCall[k, r]).Order().ToArray();
            double[] logs = Enumerable.Range(0, rounds).Select(r => Math.Log(perCall[k, r] / perCall[0, r])).ToArray();
            double mean = logs.Average();
            double sd = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (rounds - 1));
            double half = 1.96 * sd / Math.Sqrt(rounds);
            double median = Math.Exp(logs.Order().ElementAt(rounds / 2));
            Console.WriteLine(FormattableString.Invariant(
                $"| {actions[k].Name} | {own[rounds / 2]:F1} | {Math.Exp(mean):F4} | {Math.Exp(mean - half):F4}–{Math.Exp(mean + half):F4} | {median:F4} |"));
        }
    }
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private static long ThreadCpuNanoseconds()
    {
        const int ClockThreadCpuTimeId = 3;
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }
}
