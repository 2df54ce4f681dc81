using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class ElementwiseTests
{
    private static readonly (int Batch, int Width)[] Shapes = [(1, 1), (3, 17), (5, 33), (2, 100), (17, 3), (4, 16), (3, 64)];

    private sealed class SimdMatchesReference : IKernelCheck
    {
        public void Run<T, TAct, TVec, TOps>(TAct act)
            where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
            => Check<T, TAct, TVec, TOps>(act, typeof(T) == typeof(double) ? 300UL : 400UL);
    }

    private static void Check<T, TAct, TVec, TOps>(TAct act, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        // Piecewise-linear activations agree bit for bit; the others through the vector e^x, log, tanh and erf to a few
        // ulp of double (float rounds the same double result once, so it may differ by one float ulp).
        bool exact = typeof(TAct) == typeof(Identity) || typeof(TAct) == typeof(ReLU) || typeof(TAct) == typeof(LeakyReLU);
        double tol = exact ? 0 : typeof(T) == typeof(float) ? 1.2e-7 : 1e-14;
        int variant = 0;
        foreach (var (batch, width) in Shapes)
        {
            for (int options = 0; options < 4; options++, variant++)
            {
                bool residual = (options & 1) != 0, padded = (options & 2) != 0;
                int pad = padded ? 2 + variant % 3 : 0;
                int lda = width + pad, ldx = width + 2 * pad, ldr = width + pad + 1, ldda = width + pad;
                ulong s = seed + (ulong)variant * 31;
                T[] x = Random<T>(batch * ldx, s, 3.0), r = residual ? Random<T>(batch * ldr, s + 1) : [];
                T[] aRef = Random<T>(batch * lda, s + 2), aSimd = (T[])aRef.Clone();
                T[] zRef = new T[batch * width], zSimd = new T[batch * width];
                string where = $"{typeof(T).Name} {typeof(TAct).Name} ({batch},{width}) residual={residual} pad={pad}";
                ElementwiseReference.Activate<T, TAct>(aRef, lda, zRef, x, ldx, r, ldr, batch, width, act);
                Elementwise.Activate<T, TAct, TVec, TOps>(aSimd, lda, zSimd, x, ldx, r, ldr, batch, width, act);
                AssertClose<T>(aRef, aSimd, tol, "a " + where, requireNonzero: false);
                AssertClose<T>(zRef, zSimd, 0, "z " + where);

                T[] da = Random<T>(batch * ldda, s + 3);
                foreach (bool giveA in new[] { true, false })
                {
                    T[] dzRef = new T[batch * width], dzSimd = new T[batch * width];
                    ReadOnlySpan<T> a = giveA ? aRef : [];
                    ElementwiseReference.ActivateBackward<T, TAct>(dzRef, da, ldda, zRef, width, a, lda, batch, width, act);
                    Elementwise.ActivateBackward<T, TAct, TVec, TOps>(dzSimd, da, ldda, zRef, width, a, lda, batch, width, act);
                    AssertClose<T>(dzRef, dzSimd, tol, $"dz {where} giveA={giveA}", requireNonzero: false);
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(WidthsActivationsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void SimdMatchesScalarReference(int width, string activation, string type)
        => AtWidth(width, activation, type, new SimdMatchesReference());

    [Fact]
    public void ActivateAddsResidualBeforeTheActivation()
    {
        double[] x = [-1, 2, 0.5, -3], r = [2, -5, 0.25, 1], a = new double[4], z = new double[4];
        Elementwise.Activate<double, ReLU>(a, 2, z, x, 2, r, 2, 2, 2, default);
        Assert.Equal(new double[] { 1, -3, 0.75, -2 }, z);
        Assert.Equal(new double[] { 1, 0, 0.75, 0 }, a);
    }

    [Theory]
    [InlineData("double")]
    [InlineData("float")]
    public void CopyAndAccumulateMatchReferenceOnStridedSlices(string type)
    {
        if (type == "double") CheckCopy<double>();
        else CheckCopy<float>();
    }

    private static void CheckCopy<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var (batch, width) in Shapes)
        {
            int ldd = width + 7, lds = width + 2;
            T[] src = Random<T>(batch * lds, 5);
            foreach (bool accumulate in new[] { false, true })
            {
                T[] dRef = Random<T>(batch * ldd, 6), dSimd = (T[])dRef.Clone();
                ElementwiseReference.Copy<T>(dRef, ldd, src, lds, batch, width, accumulate);
                Elementwise.Copy<T>(dSimd, ldd, src, lds, batch, width, accumulate);
                AssertClose<T>(dRef, dSimd, 0, $"copy ({batch},{width}) accumulate={accumulate}");
                // Element (last row, last column) is src, or its old value plus src; the padding is untouched.
                int i = batch - 1, j = width - 1;
                T old = Random<T>(batch * ldd, 6)[i * ldd + j];
                Assert.Equal(accumulate ? old + src[i * lds + j] : src[i * lds + j], dSimd[i * ldd + j]);
                if (batch > 1) Assert.Equal(Random<T>(batch * ldd, 6)[width], dSimd[width]);
            }
        }
    }
}
