using System.Numerics;
using System.Runtime.CompilerServices;
using GradGen.Kernels;
using GradGen.Optim;
using GradGen.Runtime.Tests.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>The Adam and SGD vector loops at each width against their scalar loops, bit for bit (both round every
/// operation the same way), with and without the sampled step's sums: the loops that add g², w² and (w′ − w)² must
/// update exactly as the plain loops, and their sums must equal a direct computation in double.
/// OptimizerTests covers the widest width through the optimizers' public Step.</summary>
public class UpdateWidthTests
{
    [SkippableTheory]
    [MemberData(nameof(WidthsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void VectorLoopsEqualScalarLoops(int width, string type)
    {
        if (type == "double") AtWidth(width, new Compare<double>());
        else AtWidth(width, new Compare<float>());
    }

    private sealed class Compare<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            foreach (int n in new[] { 1, 7, 16, 37, 1037 })
            {
                foreach (bool decoupled in new[] { false, true })
                {
                    foreach (double beta1 in new[] { 0.9, 0.4 })
                    {
                        var c = AdamKernel<T>.CreateCoefficients(1e-2, beta1, 0.999, 1e-8, 0.1, decoupled, 3);
                        T[] p = Random<T>(n, 1), g = Random<T>(n, 2), m = Random<T>(n, 3), v = Random<T>(n, 4);
                        for (int i = 0; i < n; i++) v[i] = T.Abs(v[i]);
                        T[] p0 = (T[])p.Clone(), p2 = (T[])p.Clone(), m2 = (T[])m.Clone(), v2 = (T[])v.Clone();
                        T[] p3 = (T[])p.Clone(), m3 = (T[])m.Clone(), v3 = (T[])v.Clone(), p4 = (T[])p.Clone(), m4 = (T[])m.Clone(), v4 = (T[])v.Clone();
                        UpdateSums scalarSums = default, vectorSums = default;
                        AdamKernel<T>.UpdateScalar<WithoutSums>(p, g, m, v, c, ref Unsafe.NullRef<UpdateSums>());
                        AdamKernel<T>.UpdateVectorized<TVec, TOps, WithoutSums>(p2, g, m2, v2, c, ref Unsafe.NullRef<UpdateSums>());
                        AdamKernel<T>.UpdateScalar<WithSums>(p3, g, m3, v3, c, ref scalarSums);
                        AdamKernel<T>.UpdateVectorized<TVec, TOps, WithSums>(p4, g, m4, v4, c, ref vectorSums);
                        foreach (var (pk, mk, vk) in new[] { (p2, m2, v2), (p3, m3, v3), (p4, m4, v4) })
                        {
                            Assert.Equal(p, pk);
                            Assert.Equal(m, mk);
                            Assert.Equal(v, vk);
                        }
                        AssertSums(p0, p, g, scalarSums, $"Adam scalar n={n}");
                        AssertSums(p0, p, g, vectorSums, $"Adam {typeof(TVec).Name} n={n}");
                    }
                }
                foreach (bool nesterov in new[] { false, true })
                {
                    foreach (bool first in new[] { false, true })
                    {
                        var c = new Sgd<T>.Coefficients
                        {
                            WeightDecay = T.CreateTruncating(0.01), HasWeightDecay = true, Momentum = T.CreateTruncating(0.9), HasMomentum = true,
                            OneMinusDampening = T.CreateTruncating(nesterov ? 1.0 : 0.9), FirstStep = first, Nesterov = nesterov,
                            NegativeLearningRate = T.CreateTruncating(-0.1),
                        };
                        T[] p = Random<T>(n, 5), g = Random<T>(n, 6), buf = Random<T>(n, 7);
                        T[] p0 = (T[])p.Clone(), p2 = (T[])p.Clone(), buf2 = (T[])buf.Clone();
                        T[] p3 = (T[])p.Clone(), buf3 = (T[])buf.Clone(), p4 = (T[])p.Clone(), buf4 = (T[])buf.Clone();
                        UpdateSums scalarSums = default, vectorSums = default;
                        Sgd<T>.UpdateScalar<WithoutSums>(p, g, buf, c, ref Unsafe.NullRef<UpdateSums>());
                        Sgd<T>.UpdateVectorized<TVec, TOps, WithoutSums>(p2, g, buf2, c, ref Unsafe.NullRef<UpdateSums>());
                        Sgd<T>.UpdateScalar<WithSums>(p3, g, buf3, c, ref scalarSums);
                        Sgd<T>.UpdateVectorized<TVec, TOps, WithSums>(p4, g, buf4, c, ref vectorSums);
                        foreach (var (pk, bk) in new[] { (p2, buf2), (p3, buf3), (p4, buf4) })
                        {
                            Assert.Equal(p, pk);
                            Assert.Equal(buf, bk);
                        }
                        AssertSums(p0, p, g, scalarSums, $"SGD scalar n={n}");
                        AssertSums(p0, p, g, vectorSums, $"SGD {typeof(TVec).Name} n={n}");
                    }
                }
            }
        }

        // Σg², Σw², Σ(w′ − w)² in plain double loops. The loops add in lanes of T, so float agrees to float rounding.
        private static void AssertSums(T[] before, T[] after, T[] g, UpdateSums actual, string what)
        {
            double tol = typeof(T) == typeof(float) ? 1e-5 : 1e-13;
            var expected = FusedStatisticsTests.DirectSums(before, after, g);
            FusedStatisticsTests.AssertClose(expected, actual, tol, what);
        }
    }
}
