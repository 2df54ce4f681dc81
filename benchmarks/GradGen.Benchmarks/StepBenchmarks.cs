using BenchmarkDotNet.Attributes;

namespace GradGen.Benchmarks;

/// <summary>One SGD training step (zero the gradients, forward, loss, backward, update), float32, batch 32, one
/// thread, of each benchmark network in its four variants. The ratio column is each variant's time over Generated's.
/// All four start from the same weights and compute the same thing (<see cref="Agreement"/>).</summary>
[MemoryDiagnoser]
public class SgdStepBenchmark
{
    private INetworkVariant _generated = null!, _expert = null!, _idiomatic = null!, _naive = null!;
    private StepData _data = null!;

    [ParamsAllValues]
    public BenchmarkNetwork Network { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _generated = BenchmarkNetworks.Create(Network, Variant.Generated, BenchmarkNetworks.StepBatch);
        _expert = BenchmarkNetworks.Create(Network, Variant.HandWrittenExpert, BenchmarkNetworks.StepBatch);
        _idiomatic = BenchmarkNetworks.Create(Network, Variant.HandWrittenIdiomatic, BenchmarkNetworks.StepBatch);
        _naive = BenchmarkNetworks.Create(Network, Variant.Naive, BenchmarkNetworks.StepBatch);
        _data = BenchmarkNetworks.CreateData(Network, BenchmarkNetworks.StepBatch);
    }

    [Benchmark(Baseline = true)]
    public float Generated() => _generated.TrainStep(_data);

    [Benchmark]
    public float HandWrittenExpert() => _expert.TrainStep(_data);

    [Benchmark]
    public float HandWrittenIdiomatic() => _idiomatic.TrainStep(_data);

    [Benchmark]
    public float Naive() => _naive.TrainStep(_data);
}

/// <summary>Forward-only inference of each benchmark network at batch 1 and 32, in the four variants. Allocates
/// nothing in any of them.</summary>
[MemoryDiagnoser]
public class InferenceBenchmark
{
    private INetworkVariant _generated = null!, _expert = null!, _idiomatic = null!, _naive = null!;
    private float[] _input = null!;

    [ParamsAllValues]
    public BenchmarkNetwork Network { get; set; }

    [Params(1, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _generated = BenchmarkNetworks.Create(Network, Variant.Generated, Batch);
        _expert = BenchmarkNetworks.Create(Network, Variant.HandWrittenExpert, Batch);
        _idiomatic = BenchmarkNetworks.Create(Network, Variant.HandWrittenIdiomatic, Batch);
        _naive = BenchmarkNetworks.Create(Network, Variant.Naive, Batch);
        _input = BenchmarkNetworks.CreateData(Network, Batch).Input;
    }

    [Benchmark(Baseline = true)]
    public void Generated() => _generated.Forward(_input);

    [Benchmark]
    public void HandWrittenExpert() => _expert.Forward(_input);

    [Benchmark]
    public void HandWrittenIdiomatic() => _idiomatic.Forward(_input);

    [Benchmark]
    public void Naive() => _naive.Forward(_input);
}
