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
/// FLOPs per step ≈ 1,052,416 · batch: 2 per weight for the forward product, 2 for dW, and 2 for dx on every layer but
/// the first (784 → 256 has no dx), over 242,304 weights.</summary>
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

    private DenseCase<float, ReLU> _f = null!;
    private DenseCase<double, ReLU> _d = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        int inF = int.Parse(parts[0]), outF = int.Parse(parts[1]);
        if (Type == "float") _f = new DenseCase<float, ReLU>(Batch, inF, outF);
        else _d = new DenseCase<double, ReLU>(Batch, inF, outF);
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

/// <summary>The 784 → 256 layer at batch 64 with a transcendental activation, whose epilogue (and dz) costs an exp per
/// element: how much of the layer the activation takes next to the product.</summary>
public class DenseActivationBenchmark
{
    [Params("SiLU", "Sigmoid", "Tanh")]
    public string Activation { get; set; } = "SiLU";

    [Params("float", "double")]
    public string Type { get; set; } = "float";

    private Action _forward = null!, _backward = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_forward, _backward) = (Activation, Type) switch
        {
            ("SiLU", "float") => Make(new DenseCase<float, SiLU>(64, 784, 256)),
            ("SiLU", _) => Make(new DenseCase<double, SiLU>(64, 784, 256)),
            ("Sigmoid", "float") => Make(new DenseCase<float, Sigmoid>(64, 784, 256)),
            ("Sigmoid", _) => Make(new DenseCase<double, Sigmoid>(64, 784, 256)),
            (_, "float") => Make(new DenseCase<float, Tanh>(64, 784, 256)),
            _ => Make(new DenseCase<double, Tanh>(64, 784, 256)),
        };
    }

    private static (Action, Action) Make<T, TAct>(DenseCase<T, TAct> c)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> where TAct : struct, IActivation
        => (c.Forward, c.Backward);

    [Benchmark]
    public void Forward() => _forward();

    [Benchmark]
    public void Backward() => _backward();
}

public sealed class DenseCase<T, TAct> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> where TAct : struct, IActivation
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
        Dense.Forward<T, TAct>(_a, _out, _z, _x, _in, _w, _b, default, 0, _batch, _in, _out, default);

    public void Backward() =>
        Dense.Backward<T, TAct>(_dx, _in, false, _dw, _db, _dz, _da, _out, _z, _a, _out, _x, _in, _w, _batch, _in, _out, default);
}

/// <summary>The machine's FMA peak on one core, the yardstick for the kernels: 12 independent chains of fused
/// multiply-adds (enough to hide the FMA latency), 10,000 iterations. GFLOP/s = FLOPs per invoke / mean time, with
/// FLOPs = 12 · lanes · 2 · 10,000 (lanes: 16 for Vector512&lt;float&gt;, 8 for Vector256&lt;float&gt;).</summary>
public class PeakFmaBenchmark
{
    private const int Iterations = 10_000;

    [Benchmark]
    public float Vector512Float()
    {
        var a = System.Runtime.Intrinsics.Vector512.Create(0.999f);
        var b = System.Runtime.Intrinsics.Vector512.Create(1e-3f);
        System.Runtime.Intrinsics.Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default,
            c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c0, a, b); c1 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c2, a, b); c3 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c4, a, b); c5 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c6, a, b); c7 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c8, a, b); c9 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c10, a, b); c11 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return System.Runtime.Intrinsics.Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}
