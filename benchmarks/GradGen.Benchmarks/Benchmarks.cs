using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using GradGen;
using GradGen.Kernels;
using GradGen.Optim;

BenchmarkSwitcher.FromAssembly(typeof(TrainStepBenchmark).Assembly).Run(args);

/// <summary>The main job's network.</summary>
[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)]
[Dense(128, Activation.ReLU)]
[Dense(64, Activation.ReLU)]
[Dense(10)]
public partial class Mlp;

/// <summary>One training step (forward, loss, backward, Adam) of the 784-256-128-64-10 MLP, one thread.
/// FLOPs per step ≈ 6 · batch · 242,762 (2 for the forward product, 4 for the two backward products).</summary>
[MemoryDiagnoser]
public class TrainStepBenchmark
{
    private Mlp _network = null!;
    private Adam<float> _adam = null!;
    private float[] _input = null!;
    private int[] _labels = null!;

    [Params(64, 128, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _network = new Mlp(Batch, seed: 1);
        _adam = new Adam<float>(_network.ParameterCount, 1e-3);
        var rng = new Rng(2);
        _input = new float[Batch * Mlp.Inputs];
        foreach (ref float x in _input.AsSpan()) x = (float)rng.NextDouble();
        _labels = new int[Batch];
        foreach (ref int y in _labels.AsSpan()) y = rng.NextInt(10);
    }

    [Benchmark]
    public float TrainStep() => _network.TrainStep(_input, _labels, _adam);

    [Benchmark]
    public void Forward() => _network.Forward(_input);
}

/// <summary>The Dense kernels alone on the MLP's largest layer, float32: 2·B·784·256 FLOPs forward, twice that backward.</summary>
public class DenseKernelBenchmark
{
    private const int In = 784, Out = 256;
    private float[] _x = null!, _w = null!, _b = null!, _z = null!, _a = null!, _da = null!, _dz = null!, _dx = null!, _dw = null!, _db = null!;

    [Params(64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(3);
        float[] Random(int n) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)rng.NextNormal(); return v; }
        _x = Random(Batch * In); _w = Random(Out * In); _b = Random(Out);
        _z = new float[Batch * Out]; _a = new float[Batch * Out]; _da = Random(Batch * Out); _dz = new float[Batch * Out];
        _dx = new float[Batch * In]; _dw = new float[Out * In]; _db = new float[Out];
    }

    [Benchmark]
    public void Forward() =>
        Dense.Forward<float, ReLU>(_a, Out, _z, _x, In, _w, _b, default, 0, Batch, In, Out, default);

    [Benchmark]
    public void Backward() =>
        Dense.Backward<float, ReLU>(_dx, In, false, _dw, _db, _dz, _da, Out, _z, _a, Out, _x, In, _w, Batch, In, Out, default);
}
