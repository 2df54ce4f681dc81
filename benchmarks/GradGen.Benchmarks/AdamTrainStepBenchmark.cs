using BenchmarkDotNet.Attributes;
using GradGen.Optim;

namespace GradGen.Benchmarks;

/// <summary>One training step (forward, loss, backward, Adam) of the 784-256-128-64-10 MLP, one thread.
/// FLOPs per step ≈ 1,052,416 · batch: 2 per weight for the forward product, 2 for dW, and 2 for dx on every layer but
/// the first (784 → 256 has no dx), over 242,304 weights.</summary>
[MemoryDiagnoser]
public class TrainStepBenchmark
{
    private MlpNet _network = null!;
    private Adam<float> _adam = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [Params(64, 128, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _network = new MlpNet(Batch, seed: 1);
        _adam = new Adam<float>(_network.ParameterCount, 1e-3);
        var rng = new Rng(2);
        (_input, _labels) = BenchmarkNetworks.UniformMlpBatch(ref rng, Batch);
    }

    [Benchmark]
    public float TrainStep() => _network.TrainStep(_input, _labels, _adam);

    [Benchmark]
    public void Forward() => _network.Forward(_input);
}
