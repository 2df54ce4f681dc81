using BenchmarkDotNet.Attributes;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Benchmarks;

/// <summary>Threads inside a step (issue 10's target: two threads at least 1.7× one): one SGD training step of the
/// generated 784-256-128-64-10 MLP at batch 128, with <see cref="Parallelism.MaxThreads"/> 1 and 2. The ratio column
/// of TwoThreads is its time over OneThread's, so the speed-up is its inverse. With two threads the step is
/// data-parallel (each thread runs 64 of the rows, then one reduction of the gradients; docs/performance.md). Both threads must have a core of their
/// own: on a machine whose cores are busy with other work the second thread waits, and the ratio says nothing.
/// <c>dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --filter '*ThreadScaling*' --job short</c></summary>
[MemoryDiagnoser]
public class ThreadScalingBenchmark
{
    private const int Batch = 128;
    private MlpNet _network = null!;
    private Sgd<float> _sgd = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = new MlpNet(Batch, seed: 1);
        _sgd = new Sgd<float>(_network.ParameterCount, BenchmarkNetworks.LearningRate);
        var data = BenchmarkNetworks.CreateData(BenchmarkNetwork.Mlp, Batch);
        (_input, _labels) = (data.Input, data.Labels);
    }

    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxThreads = 1;

    [Benchmark(Baseline = true)]
    public float OneThread() => Step(1);

    [Benchmark]
    public float TwoThreads() => Step(2);

    private float Step(int threads)
    {
        Parallelism.MaxThreads = threads;
        return _network.TrainStep(_input, _labels, _sgd);
    }
}
