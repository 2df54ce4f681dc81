using System.Numerics;
using GradGen.Kernels;
using GradGen.Optim;
using GradGen.Runtime.Tests.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>The Adam and SGD vector loops at each width against their scalar loops, bit for bit (both round every
/// operation the same way). OptimizerTests covers the widest width through the optimizers' public Step.</summary>
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
                        T[] p2 = (T[])p.Clone(), m2 = (T[])m.Clone(), v2 = (T[])v.Clone();
                        AdamKernel<T>.UpdateScalar(p, g, m, v, c);
                        AdamKernel<T>.UpdateVectorized<TVec, TOps>(p2, g, m2, v2, c);
                        Assert.Equal(p, p2);
                        Assert.Equal(m, m2);
                        Assert.Equal(v, v2);
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
                        T[] p2 = (T[])p.Clone(), buf2 = (T[])buf.Clone();
                        Sgd<T>.UpdateScalar(p, g, buf, c);
                        Sgd<T>.UpdateVectorized<TVec, TOps>(p2, g, buf2, c);
                        Assert.Equal(p, p2);
                        Assert.Equal(buf, buf2);
                    }
                }
            }
        }
    }
}
