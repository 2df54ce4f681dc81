using BenchmarkDotNet.Attributes;
using GradGen.Curvature;
using GradGen.Optim;

namespace GradGen.Benchmarks;

/// <summary>One exact Hessian-vector product (HessianOperator.Multiply: forward, loss and backward over dual numbers)
/// on the 784-256-128-64-10 MLP at batch 32, against one training step (forward, loss, backward, Adam) of the same
/// network in float32 (the baseline) and in float64. issue #11 aims at ≤ 3× a step; docs/hessian.md has the numbers.
///   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --filter '*HessianVectorProduct*' --job short</summary>
[MemoryDiagnoser]
public class HessianVectorProductBenchmark
{
    private const int Batch = 32;
    private MlpNet _network = null!;
    private MlpNet.Float64 _network64 = null!;
    private Adam<float> _adam = null!;
    private Adam<double> _adam64 = null!;
    private float[] _input = null!;
    private double[] _input64 = null!;
    private int[] _labels = null!;
    private HessianOperator _hessian = null!;
    private double[] _v = null!, _hv = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = new MlpNet(Batch, seed: 1);
        _network64 = new MlpNet.Float64(Batch, seed: 1);
        _adam = new Adam<float>(_network.ParameterCount, 1e-3);
        _adam64 = new Adam<double>(_network64.ParameterCount, 1e-3);
        var rng = new Rng(2);
        (_input, _labels) = BenchmarkNetworks.UniformMlpBatch(ref rng, Batch);
        _input64 = _input.Select(x => (double)x).ToArray();
        _hessian = HessianOperator.Create(_network, _input, _labels);
        _v = new double[_hessian.Dimension];
        foreach (ref double x in _v.AsSpan()) x = rng.NextNormal();
        _hv = new double[_hessian.Dimension];
    }

    /// <summary>The direction the products take.</summary>
    public double[] Direction => _v;

    /// <summary>The last product.</summary>
    public double[] Product => _hv;

    /// <summary>The operator of the Float64 twin at the same parameters and batch: float64 products.</summary>
    public HessianOperator CreateFloat64Hessian()
    {
        var twin = new MlpNet.Float64(Batch);
        for (int i = 0; i < twin.ParameterCount; i++) twin.Parameters[i] = _network.Parameters[i];
        return HessianOperator.Create(twin, _input64, _labels);
    }

    [Benchmark(Baseline = true)]
    public float TrainStep() => _network.TrainStep(_input, _labels, _adam);

    [Benchmark]
    public double TrainStepFloat64() => _network64.TrainStep(_input64, _labels, _adam64);

    [Benchmark]
    public void HessianVectorProduct() => _hessian.Multiply(_v, _hv);
}

/// <summary>What FashionMnist's --doctor runs after training, on the same MLP and batch: HessianAnalysis.Analyze with its
/// defaults (Lanczos top 5 in 50 products, Hutchinson with 10, SLQ with 2 × 40: 140 products, plus the operator's arena
/// and Lanczos' stored basis).
///   dotnet run -c Release --project benchmarks/GradGen.Benchmarks -- --filter '*CurvatureAnalysis*' --inProcess --iterationCount 3 --warmupCount 1</summary>
[MemoryDiagnoser]
public class CurvatureAnalysisBenchmark
{
    private const int Batch = 32;
    private MlpNet _network = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = new MlpNet(Batch, seed: 1);
        var rng = new Rng(2);
        (_input, _labels) = BenchmarkNetworks.UniformMlpBatch(ref rng, Batch);
    }

    [Benchmark]
    public CurvatureReport Analyze() => HessianAnalysis.Analyze(_network, _input, _labels);
}
