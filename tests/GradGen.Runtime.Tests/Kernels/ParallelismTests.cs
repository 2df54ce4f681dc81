using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

// Alone, after the parallel collections: MaxThreads is process-wide, and the allocation tests must not see the pool start.
[CollectionDefinition(nameof(ParallelismTests), DisableParallelization = true)]
public class ParallelismCollection;

[Collection(nameof(ParallelismTests))]
public class ParallelismTests
{
    public static IEnumerable<object[]> Shapes()
    {
        // Split by panels (256 outputs), by row tiles (few panels: 40 and 10 outputs), k-sliced (3000), small batches
        // (the serial dot-product path), and a backward with more threads than rows. With GELU, whose vector
        // derivative rounds differently from its scalar one: the backward's column shares must give every column of dz
        // the path it takes on one thread (150 and 40 outputs leave a tail shorter than a vector at every width).
        foreach (string type in new[] { "double", "float" })
        {
            yield return [type, 64, 784, 256, "tanh"];
            yield return [type, 128, 64, 10, "tanh"];
            yield return [type, 33, 300, 40, "tanh"];
            yield return [type, 20, 3000, 150, "tanh"];
            yield return [type, 5, 200, 70, "tanh"];
            yield return [type, 2, 64, 3, "tanh"];
            yield return [type, 64, 200, 150, "gelu"];
            yield return [type, 96, 100, 40, "gelu"];
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryThreadCountGivesTheSameBits(string type, int batch, int inF, int outF, string activation)
    {
        switch (type, activation)
        {
            case ("double", "tanh"): Check<double, Tanh>(batch, inF, outF); break;
            case ("float", "tanh"): Check<float, Tanh>(batch, inF, outF); break;
            case ("double", "gelu"): Check<double, GELU>(batch, inF, outF); break;
            default: Check<float, GELU>(batch, inF, outF); break;
        }
    }

    private static void Check<T, TAct>(int batch, int inF, int outF) where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation
    {
        T[] x = Random<T>(batch * inF, 1), w = Random<T>(outF * inF, 2, 0.1), b = Random<T>(outF, 3), da = Random<T>(batch * outF, 4);
        (T[] A, T[] Z, T[] Dx, T[] Dw, T[] Db)? single = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                Parallelism.MaxThreads = threads;
                T[] a = new T[batch * outF], z = new T[batch * outF], dz = new T[batch * outF];
                T[] dx = new T[batch * inF], dw = Random<T>(outF * inF, 5), db = new T[outF];
                Dense.Forward<T, TAct>(a, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
                Dense.Backward<T, TAct>(dx, inF, false, dw, db, dz, da, outF, z, a, outF, x, inF, w, batch, inF, outF, default);
                if (single is not { } s)
                {
                    // One thread against the reference, so that all counts are checked against something independent.
                    T[] aRef = new T[batch * outF], zRef = new T[batch * outF];
                    DenseReference.Forward<T, TAct>(aRef, outF, zRef, x, inF, w, b, [], 0, batch, inF, outF, default);
                    AssertClose<T>(zRef, z, 10 * Tolerance<T>(), "z");
                    single = (a, z, dx, dw, db);
                    continue;
                }
                Assert.Equal(s.A, a);
                Assert.Equal(s.Z, z);
                Assert.Equal(s.Dx, dx);
                Assert.Equal(s.Dw, dw);
                Assert.Equal(s.Db, db);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void OptimizerUpdatesGiveTheSameBitsForEveryThreadCount()
    {
        // Long enough to split (100,003 elements: parts of unequal, odd lengths).
        const int n = 100_003;
        float[] start = Random<float>(n, 7);
        float[]? adamSingle = null, sgdSingle = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.MaxThreads = threads;
                float[] pa = (float[])start.Clone(), ps = (float[])start.Clone();
                var adam = new GradGen.Optim.AdamW<float>(n, 1e-2, weightDecay: 0.1);
                var sgd = new GradGen.Optim.Sgd<float>(n, 0.1, momentum: 0.9);
                for (int step = 0; step < 3; step++)
                {
                    float[] g = Random<float>(n, (ulong)(10 + step));
                    adam.Step(pa, g);
                    sgd.Step(ps, g);
                }
                Assert.NotEqual(start, pa);
                adamSingle ??= pa;
                sgdSingle ??= ps;
                Assert.Equal(adamSingle, pa);
                Assert.Equal(sgdSingle, ps);
            }
        }
        finally
        {
            Parallelism.MaxThreads = 1;
        }
    }

    [Fact]
    public void RejectsThreadCountsOutsideOneToSixtyFour()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 65);
        Assert.Equal(1, Parallelism.MaxThreads);
    }
}
