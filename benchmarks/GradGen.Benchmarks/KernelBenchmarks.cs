using BenchmarkDotNet.Attributes;
using GradGen.Kernels;

namespace GradGen.Benchmarks;

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
