using BenchmarkDotNet.Attributes;

namespace GradGen.Benchmarks;

/// <summary>One SGD training step (zero the gradients, forward, loss, backward, update), float32, batch 32, one
/// thread, of each benchmark network in its four variants. The ratio column is each variant's time over Generated's.
/// All four start from the same weights and compute the same thing (<see cref="Agreement"/>).</summary>
[MemoryDiagnoser]
public class SgdStepBenchmark
{
    private INetworkVariant[] _variants = null!;
    private StepData _data = null!;

    [ParamsAllValues]
    public BenchmarkNetwork Network { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _variants = BenchmarkNetworks.CreateAll(Network, BenchmarkNetworks.StepBatch);
        _data = BenchmarkNetworks.CreateData(Network, BenchmarkNetworks.StepBatch);
    }

    [Benchmark(Baseline = true)]
    public float Generated() => _variants[(int)Variant.Generated].TrainStep(_data);

    [Benchmark]
    public float HandWrittenExpert() => _variants[(int)Variant.HandWrittenExpert].TrainStep(_data);

    [Benchmark]
    public float HandWrittenIdiomatic() => _variants[(int)Variant.HandWrittenIdiomatic].TrainStep(_data);

    [Benchmark]
    public float Naive() => _variants[(int)Variant.Naive].TrainStep(_data);
}

/// <summary>Forward-only inference of each benchmark network at batch 1 and 32, in the four variants. Allocates
/// nothing in any of them.</summary>
[MemoryDiagnoser]
public class InferenceBenchmark
{
    private INetworkVariant[] _variants = null!;
    private float[] _input = null!;

    [ParamsAllValues]
    public BenchmarkNetwork Network { get; set; }

    [Params(1, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _variants = BenchmarkNetworks.CreateAll(Network, Batch);
        _input = BenchmarkNetworks.CreateData(Network, Batch).Input;
    }

    [Benchmark(Baseline = true)]
    public void Generated() => _variants[(int)Variant.Generated].Forward(_input);

    [Benchmark]
    public void HandWrittenExpert() => _variants[(int)Variant.HandWrittenExpert].Forward(_input);

    [Benchmark]
    public void HandWrittenIdiomatic() => _variants[(int)Variant.HandWrittenIdiomatic].Forward(_input);

    [Benchmark]
    public void Naive() => _variants[(int)Variant.Naive].Forward(_input);
}
