using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class PackingTests
{
    // (width, k0, kLen, ldw) for a panel of 4v outputs: full and partial panels, widths that end inside a group of v
    // (the zero rows of the register transpose) and groups that are all padding, depths shorter than one v×v block, with
    // a scalar leftover, and slices that start inside a row of a strided w.
    private static readonly (int Width, int K0, int KLen, int Extra)[] Cases =
    [
        (64, 0, 64, 0), (64, 0, 100, 0), (1, 0, 1, 0), (1, 0, 17, 0), (5, 3, 33, 2), (16, 0, 16, 0), (17, 1, 15, 0),
        (31, 7, 40, 5), (33, 0, 47, 1), (40, 16, 32, 0), (63, 2, 129, 3), (8, 0, 0, 0),
    ];

    private sealed class Pack<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => CheckPack<T, TVec, TOps>();
    }

    private static unsafe void CheckPack<T, TVec, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, panel = 4 * v;
        foreach (var (width0, k0, kLen, extra) in Cases)
        {
            int width = Math.Min(width0, panel);
            int n0 = 3, ldw = k0 + kLen + extra, rowsOfW = n0 + width;
            T[] w = Random<T>(rowsOfW * ldw, (ulong)(width * 1000 + kLen));
            // Poisoned so that a missed element shows; one spare row past kLen checks that nothing is written there.
            T[] packed = new T[(kLen + 1) * panel];
            packed.AsSpan().Fill(T.CreateTruncating(12345));
            fixed (T* pp = packed, pw = w)
                Packing.PackTransposed<T, TVec, TOps>(pp, panel, pw, ldw, n0, width, k0, kLen);
            for (int p = 0; p < kLen; p++)
            {
                for (int c = 0; c < panel; c++)
                {
                    T expected = c < width ? w[(n0 + c) * ldw + k0 + p] : T.Zero;
                    Assert.True(expected == packed[p * panel + c],
                        $"{typeof(T).Name} width={width} k0={k0} kLen={kLen} ldw={ldw}: packed[{p}, {c}] = {packed[p * panel + c]}, expected {expected}");
                }
            }
            for (int c = 0; c < panel; c++) Assert.Equal(T.CreateTruncating(12345), packed[kLen * panel + c]);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(WidthsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void PackTransposedMatchesTheDefinition(int width, string type)
    {
        if (type == "double") AtWidth(width, new Pack<double>());
        else AtWidth(width, new Pack<float>());
    }

    [Fact]
    public unsafe void PackBufferIsAlignedReusedAndPerThread()
    {
        nint mine = (nint)PackBuffer<float>.Get();
        Assert.Equal(0, mine % 64);
        Assert.Equal(mine, (nint)PackBuffer<float>.Get());
        nint other = 0;
        var thread = new Thread(() => other = (nint)PackBuffer<float>.Get());
        thread.Start();
        thread.Join();
        Assert.NotEqual(0, other);
        Assert.NotEqual(mine, other);
        Assert.Equal(0, (nint)PackBuffer<double>.Get() % 64);
    }

    [Theory]
    [InlineData("float", 64, 784, 256)]
    [InlineData("double", 64, 784, 256)]
    [InlineData("float", 19, 1030, 65)]
    [InlineData("double", 16, 33, 16)]
    [InlineData("float", 37, 15, 200)]
    public void PackedForwardMatchesReferenceOnTwoThreadsAtOnce(string type, int batch, int inF, int outF)
    {
        // Each thread packs into its own buffer: two threads running the same layer at once must not see each other's
        // panels (the data-parallel trainer does this). The shapes cover full panels, a partial last panel, a k just
        // past one slice of the float panel (1030 > 1024), and k shorter than one 16×16 transpose block.
        if (type == "double") TwoThreads<double, ReLU>(batch, inF, outF);
        else TwoThreads<float, ReLU>(batch, inF, outF);
    }

    private static void TwoThreads<T, TAct>(int batch, int inF, int outF) where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation
    {
        var results = new Exception?[2];
        var threads = new Thread[2];
        for (int t = 0; t < 2; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    T[] x = Random<T>(batch * inF, (ulong)(31 + id)), w = Random<T>(outF * inF, (ulong)(41 + id), 0.1);
                    T[] b = Random<T>(outF, (ulong)(51 + id));
                    T[] aRef = new T[batch * outF], zRef = new T[batch * outF];
                    DenseReference.Forward<T, TAct>(aRef, outF, zRef, x, inF, w, b, [], 0, batch, inF, outF, default);
                    for (int repeat = 0; repeat < 20; repeat++)
                    {
                        T[] a = new T[batch * outF], z = new T[batch * outF];
                        Dense.Forward<T, TAct>(a, outF, z, x, inF, w, b, [], 0, batch, inF, outF, default);
                        AssertClose<T>(zRef, z, Tolerance<T>(), $"z thread {id} repeat {repeat}");
                        AssertClose<T>(aRef, a, Tolerance<T>(), $"a thread {id} repeat {repeat}");
                    }
                }
                catch (Exception e)
                {
                    results[id] = e;
                }
            });
        }
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        foreach (var e in results) if (e != null) throw e;
    }
}
