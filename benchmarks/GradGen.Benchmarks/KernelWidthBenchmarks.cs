using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using GradGen.Kernels;

namespace GradGen.Benchmarks;

/// <summary>Runs a benchmark class three times, once per kernel vector width: the machine's widest, then
/// DOTNET_PreferredVectorBitWidth=256 and =128, each in its own process, so every width is measured in one run.</summary>
public class VectorWidthConfig : ManualConfig
{
    public VectorWidthConfig()
    {
        Job baseJob = Job.ShortRun.WithWarmupCount(3).WithIterationCount(7);
        AddJob(baseJob.WithId("native"));
        AddJob(baseJob.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_PreferredVectorBitWidth", "256")).WithId("256-bit"));
        AddJob(baseJob.WithEnvironmentVariables(new EnvironmentVariable("DOTNET_PreferredVectorBitWidth", "128")).WithId("128-bit"));
        // The fastest iteration too: on a shared machine it is the one least disturbed by other processes.
        AddColumn(StatisticColumn.Min);
        // Each job builds its own copy of the project; on a busy machine that takes longer than the default 2 minutes.
        WithBuildTimeout(TimeSpan.FromMinutes(15));
    }
}

/// <summary>The Dense kernels at each vector width next to that width's FMA peak, measured in the same run:
/// fp32, ReLU, batch 64, the MLP's layers. GFLOP/s: 2·B·in·out per forward, twice that per backward (dx and dW);
/// PeakFma does 12 chains · lanes · 2 · 10,000 FLOPs (lanes = 16, 8 or 4 floats at 512, 256, 128 bits).</summary>
[Config(typeof(VectorWidthConfig))]
public class KernelWidthBenchmark
{
    private const int Iterations = 10_000;

    [Params("784x256", "256x128", "64x10")]
    public string Shape { get; set; } = "784x256";

    private DenseCase<float, ReLU> _case = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        _case = new DenseCase<float, ReLU>(64, int.Parse(parts[0]), int.Parse(parts[1]));
    }

    [Benchmark]
    public void Forward() => _case.Forward();

    [Benchmark]
    public void Backward() => _case.Backward();

    /// <summary>12 independent FMA chains at the widest accelerated width (the kernels' width in this process).</summary>
    [Benchmark]
    public float PeakFma()
    {
        if (Vector512.IsHardwareAccelerated) return Peak512();
        if (Vector256.IsHardwareAccelerated) return Peak256();
        return Peak128();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak512()
    {
        Vector512<float> a = Vector512.Create(0.999f), b = Vector512.Create(1e-3f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b); c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b); c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b); c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b); c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak256()
    {
        Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(1e-3f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector256<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b); c2 = Vector256.FusedMultiplyAdd(c2, a, b);
            c3 = Vector256.FusedMultiplyAdd(c3, a, b); c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b); c8 = Vector256.FusedMultiplyAdd(c8, a, b);
            c9 = Vector256.FusedMultiplyAdd(c9, a, b); c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Peak128()
    {
        Vector128<float> a = Vector128.Create(0.999f), b = Vector128.Create(1e-3f);
        Vector128<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector128<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Vector128.FusedMultiplyAdd(c0, a, b); c1 = Vector128.FusedMultiplyAdd(c1, a, b); c2 = Vector128.FusedMultiplyAdd(c2, a, b);
            c3 = Vector128.FusedMultiplyAdd(c3, a, b); c4 = Vector128.FusedMultiplyAdd(c4, a, b); c5 = Vector128.FusedMultiplyAdd(c5, a, b);
            c6 = Vector128.FusedMultiplyAdd(c6, a, b); c7 = Vector128.FusedMultiplyAdd(c7, a, b); c8 = Vector128.FusedMultiplyAdd(c8, a, b);
            c9 = Vector128.FusedMultiplyAdd(c9, a, b); c10 = Vector128.FusedMultiplyAdd(c10, a, b); c11 = Vector128.FusedMultiplyAdd(c11, a, b);
        }
        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}

/// <summary>Threads inside a step (<see cref="Parallelism.MaxThreads"/>): forward and backward of the MLP's four Dense
/// layers (784-256-128-64-10, ReLU, fp32) at batch 128, the matrix-product part of a training step.</summary>
[MemoryDiagnoser]
[MinColumn]
public class KernelThreadsBenchmark
{
    private static readonly int[] Sizes = [784, 256, 128, 64, 10];
    private const int Batch = 128;

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    private readonly float[][] _acts = new float[5][], _dacts = new float[5][];
    private readonly float[][] _z = new float[4][], _w = new float[4][], _b = new float[4][], _dw = new float[4][], _db = new float[4][], _dz = new float[4][];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new GradGen.Rng(5);
        float[] Random(int n) { var v = new float[n]; for (int i = 0; i < n; i++) v[i] = (float)rng.NextUniform(-0.1, 0.1); return v; }
        for (int l = 0; l < 5; l++) { _acts[l] = Random(Batch * Sizes[l]); _dacts[l] = Random(Batch * Sizes[l]); }
        for (int l = 0; l < 4; l++)
        {
            _w[l] = Random(Sizes[l] * Sizes[l + 1]); _b[l] = Random(Sizes[l + 1]); _dw[l] = new float[_w[l].Length];
            _db[l] = new float[Sizes[l + 1]]; _dz[l] = new float[Batch * Sizes[l + 1]]; _z[l] = new float[Batch * Sizes[l + 1]];
        }
        Parallelism.MaxThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Parallelism.MaxThreads = 1;

    [Benchmark]
    public void ForwardBackward()
    {
        for (int l = 0; l < 4; l++)
            Dense.Forward<float, ReLU>(_acts[l + 1], Sizes[l + 1], _z[l], _acts[l], Sizes[l], _w[l], _b[l], [], 0, Batch, Sizes[l], Sizes[l + 1], default);
        for (int l = 3; l >= 0; l--)
        {
            Span<float> dx = l == 0 ? Span<float>.Empty : _dacts[l];
            Dense.Backward<float, ReLU>(dx, Sizes[l], false, _dw[l], _db[l], _dz[l], _dacts[l + 1], Sizes[l + 1], _z[l], _acts[l + 1], Sizes[l + 1],
                _acts[l], Sizes[l], _w[l], Batch, Sizes[l], Sizes[l + 1], default);
        }
    }
}

/// <summary>The Adam update over the MLP's 242,762 fp32 parameters: GradGen's fused loop (one pass) against the same
/// update written as separate TensorPrimitives calls (ten passes), and zeroing the gradients.</summary>
[MemoryDiagnoser]
[MinColumn]
public class AdamUpdateBenchmark
{
    private const int Count = 242_762;
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Epsilon = 1e-8f, LearningRate = 1e-3f;
    private readonly GradGen.Optim.Adam<float> _adam = new(Count, LearningRate);
    private float[] _p = [], _g = [], _m = [], _v = [], _t1 = [], _t2 = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new GradGen.Rng(6);
        float[] Random() { var v = new float[Count]; for (int i = 0; i < Count; i++) v[i] = (float)rng.NextUniform(-1, 1); return v; }
        (_p, _g, _m, _v, _t1, _t2) = (Random(), Random(), new float[Count], new float[Count], new float[Count], new float[Count]);
    }

    [Benchmark(Baseline = true)]
    public void Fused() => _adam.Step(_p, _g);

    [Benchmark]
    public void TensorPrimitivesPasses()
    {
        System.Numerics.Tensors.TensorPrimitives.Lerp(_m, _g, 1 - Beta1, _m);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_v, Beta2, _v);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_g, 1 - Beta2, _t1);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(_t1, _g, _v, _v);
        System.Numerics.Tensors.TensorPrimitives.Sqrt(_v, _t1);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_t1, 1 / MathF.Sqrt(1 - Beta2), _t1);
        System.Numerics.Tensors.TensorPrimitives.Add(_t1, Epsilon, _t1);
        System.Numerics.Tensors.TensorPrimitives.Multiply(_m, -LearningRate / (1 - Beta1), _t2);
        System.Numerics.Tensors.TensorPrimitives.Divide(_t2, _t1, _t2);
        System.Numerics.Tensors.TensorPrimitives.Add(_p, _t2, _p);
    }

    [Benchmark]
    public void ZeroGradients() => Array.Clear(_g);
}
