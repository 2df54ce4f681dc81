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
    private OverheadMlpPlain _plain = null!;
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
        _plain = new OverheadMlpPlain(Batch, seed: 1);
        _disabled = new OverheadMlpStatistics(Batch, seed: 1);
        _disabled.Monitor!.Enabled = false;
        _everyStep = new OverheadMlpStatistics(Batch, seed: 1);
        _everyStep.Monitor!.SampleEvery = 1;
        _every100 = new OverheadMlpStatistics(Batch, seed: 1);
        _every100.Monitor!.SampleEvery = 100;
        _anomaly = new OverheadMlpAnomaly(Batch, seed: 1);
        // One SGD for all: plain SGD has no state, and every network has the same parameter count.
        _sgd = new Sgd<float>(_plain.ParameterCount, 1e-3);
        var rng = new Rng(2);
        _input = new float[Batch * 784];
        foreach (ref float x in _input.AsSpan()) x = (float)rng.NextDouble();
        _labels = new int[Batch];
        foreach (ref int y in _labels.AsSpan()) y = rng.NextInt(10);
    }

    [Benchmark(Baseline = true)]
    public float CompiledOut() => _plain.TrainStep(_input, _labels, _sgd);

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

/// <summary>The same five variants as <see cref="InstrumentationOverheadBenchmark"/>, measured so that a busy machine
/// disturbs them alike: interleaved round by round (each round runs 100 steps of every variant, in an order rotated each
/// round), timed with the thread's CPU time (<c>CLOCK_THREAD_CPUTIME_ID</c>), which does not count the time the thread
/// waits for a core. A round of 100 steps holds exactly one sampled step of the every-100th variant. Linux only.
/// Run: <c>dotnet run -c Release benchmarks/instrumentation-overhead.cs</c>.</summary>
public static class InstrumentationOverheadInterleaved
{
    private const int StepsPerRound = 100;

    /// <summary>Prints, per variant, the mean and the median over rounds of the CPU time per step, and their ratios to
    /// the compiled-out network.</summary>
    public static void Run(int batch, int rounds)
    {
        var b = new InstrumentationOverheadBenchmark { Batch = batch };
        b.Setup();
        (string Name, Func<float> Step)[] variants =
        [
            (nameof(b.CompiledOut), b.CompiledOut), (nameof(b.CompiledInDisabled), b.CompiledInDisabled),
            (nameof(b.SampledEveryStep), b.SampledEveryStep), (nameof(b.SampledEvery100th), b.SampledEvery100th),
            (nameof(b.AnomalyDetection), b.AnomalyDetection),
        ];
        foreach (var v in variants) for (int i = 0; i < 3 * StepsPerRound; i++) v.Step(); // past tiered compilation
        var perStep = new double[variants.Length, rounds];
        for (int r = 0; r < rounds; r++)
        {
            for (int j = 0; j < variants.Length; j++)
            {
                int k = (j + r) % variants.Length;
                long start = ThreadCpuNanoseconds();
                for (int s = 0; s < StepsPerRound; s++) variants[k].Step();
                perStep[k, r] = (ThreadCpuNanoseconds() - start) / 1e3 / StepsPerRound;
            }
        }
        double Mean(int k) => Enumerable.Range(0, rounds).Average(r => perStep[k, r]);
        double Median(int k) => Enumerable.Range(0, rounds).Select(r => perStep[k, r]).Order().ElementAt(rounds / 2);
        Console.WriteLine($"batch {batch}, {rounds} rounds of {StepsPerRound} steps per variant, thread CPU time per step");
        Console.WriteLine("| variant | mean (µs) | median of rounds (µs) | mean ratio | median ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (int k = 0; k < variants.Length; k++)
            Console.WriteLine($"| {variants[k].Name} | {Mean(k):F1} | {Median(k):F1} | {Mean(k) / Mean(0):F3} | {Median(k) / Median(0):F3} |");
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
