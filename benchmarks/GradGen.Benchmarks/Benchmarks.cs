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

/// <summary>The Dense kernels alone on the MLP's layers (784 → 256, 256 → 128, 64 → 10), ReLU, float32 and float64:
/// 2·B·in·out FLOPs forward, twice that backward (dz, dW, db, dx).</summary>
public class DenseKernelBenchmark
{
    [Params("784x256", "256x128", "64x10")]
    public string Shape { get; set; } = "784x256";

    [Params(64, 256)]
    public int Batch { get; set; }

    [Params("float", "double")]
    public string Type { get; set; } = "float";

    private DenseCase<float> _f = null!;
    private DenseCase<double> _d = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int inF = int.Parse(parts[0]), outF = int.Parse(parts[1]);
        if (Type == "float") _f = new DenseCase<float>(Batch, inF, outF);
        else _d = new DenseCase<double>(Batch, inF, outF);
    }

    [Benchmark]
    public void Forward()
    {
        if (_f != null) _f.Forward();
        else _d.Forward();
    }

    [Benchmark]
    public void Backward()
    {
        if (_f != null) _f.Backward();
        else _d.Backward();
    }
}

public sealed class DenseCase<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private readonly int _batch, _in, _out;
    private readonly T[] _x, _w, _b, _z, _a, _da, _dz, _dx, _dw, _db;

    public DenseCase(int batch, int inF, int outF)
    {
        (_batch, _in, _out) = (batch, inF, outF);
        var rng = new Rng(3);
        T[] Random(int n) { var v = new T[n]; for (int i = 0; i < n; i++) v[i] = T.CreateTruncating(rng.NextNormal()); return v; }
        _x = Random(batch * inF); _w = Random(outF * inF); _b = Random(outF);
        _z = new T[batch * outF]; _a = new T[batch * outF]; _da = Random(batch * outF); _dz = new T[batch * outF];
        _dx = new T[batch * inF]; _dw = new T[outF * inF]; _db = new T[outF];
    }

    public void Forward() =>
        Dense.Forward<T, ReLU>(_a, _out, _z, _x, _in, _w, _b, default, 0, _batch, _in, _out, default);

    public void Backward() =>
        Dense.Backward<T, ReLU>(_dx, _in, false, _dw, _db, _dz, _da, _out, _z, _a, _out, _x, _in, _w, _batch, _in, _out, default);
}
