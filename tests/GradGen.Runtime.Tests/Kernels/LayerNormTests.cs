using System.Numerics;
using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class LayerNormTests
{
    [SkippableTheory]
    [MemberData(nameof(WidthsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void SimdMatchesScalarReference(int width, string type)
    {
        if (type == "double") AtWidth(width, new Matches<double>());
        else AtWidth(width, new Matches<float>());
    }

    private sealed class Matches<T> : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => Check<T, TVec, TOps>();
    }

    private static void Check<T, TVec, TOps>() where T : unmanaged, IFloatingPointIeee754<T> where TVec : unmanaged where TOps : ISimd<TVec, T>
    {
        double tol = typeof(T) == typeof(float) ? 1e-5 : 1e-13;
        int variant = 0;
        foreach (var (batch, width) in new[] { (1, 1), (3, 3), (2, 17), (5, 33), (4, 100), (3, 64), (7, 129) })
        {
            for (int options = 0; options < 8; options++, variant++)
            {
                bool affine = (options & 1) != 0, accumulate = (options & 2) != 0, padded = (options & 4) != 0;
                int pad = padded ? 3 : 0, ldx = width + pad, ldy = width + 2 * pad, lddy = width + pad + 1, lddx = width + pad;
                ulong s = (ulong)variant * 17;
                // An offset mean (3) so that the two-pass variance matters.
                T[] x = Random<T>(batch * ldx, s, 2.0);
                for (int i = 0; i < x.Length; i++) x[i] += T.CreateTruncating(3);
                T[] gamma = affine ? Random<T>(width, s + 1) : [], beta = affine ? Random<T>(width, s + 2) : [];
                T eps = T.CreateTruncating(1e-5);
                T[] yRef = new T[batch * ldy], ySimd = new T[batch * ldy];
                T[] mRef = new T[batch], mSimd = new T[batch], rRef = new T[batch], rSimd = new T[batch];
                string where = $"{typeof(T).Name} ({batch},{width}) affine={affine} accumulate={accumulate} pad={pad}";
                LayerNormReference.Forward<T>(yRef, ldy, mRef, rRef, x, ldx, gamma, beta, batch, width, eps);
                LayerNorm.Forward<T, TVec, TOps>(ySimd, ldy, mSimd, rSimd, x, ldx, gamma, beta, batch, width, eps);
                AssertClose<T>(yRef, ySimd, tol, "y " + where, requireNonzero: width > 1 || affine);
                AssertClose<T>(mRef, mSimd, tol, "mean " + where);
                AssertClose<T>(rRef, rSimd, tol, "rstd " + where);

                T[] dy = Random<T>(batch * lddy, s + 3);
                T[] dxRef = Random<T>(batch * lddx, s + 4), dxSimd = (T[])dxRef.Clone();
                T[] dgRef = affine ? Random<T>(width, s + 5) : [], dgSimd = (T[])dgRef.Clone();
                T[] dbRef = affine ? Random<T>(width, s + 6) : [], dbSimd = (T[])dbRef.Clone();
                LayerNormReference.Backward<T>(dxRef, lddx, accumulate, dgRef, dbRef, dy, lddy, x, ldx, mRef, rRef, gamma, batch, width);
                LayerNorm.Backward<T, TVec, TOps>(dxSimd, lddx, accumulate, dgSimd, dbSimd, dy, lddy, x, ldx, mRef, rRef, gamma, batch, width);
                AssertClose<T>(dxRef, dxSimd, tol, "dx " + where, requireNonzero: width > 1 || accumulate);
                AssertClose<T>(dgRef, dgSimd, tol, "dgamma " + where);
                AssertClose<T>(dbRef, dbSimd, tol, "dbeta " + where);
            }
        }
    }

    [Fact]
    public void ForwardMatchesDefinition()
    {
        // Row [1, 2, 3, 6]: mean 3, biased variance (4 + 1 + 0 + 9)/4 = 3.5.
        double[] x = [1, 2, 3, 6], gamma = [1, 2, 0.5, -1], beta = [0, 1, 2, 3], y = new double[4], mean = new double[1], rstd = new double[1];
        LayerNorm.Forward<double>(y, 4, mean, rstd, x, 4, gamma, beta, 1, 4, 1e-5);
        double rs = 1 / Math.Sqrt(3.5 + 1e-5);
        Assert.Equal(3.0, mean[0]);
        Assert.Equal(rs, rstd[0], 1e-15);
        double[] expected = [-2 * rs * 1 + 0, -1 * rs * 2 + 1, 0 * 0.5 + 2, 3 * rs * -1 + 3];
        for (int j = 0; j < 4; j++) Assert.Equal(expected[j], y[j], 1e-14);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        // L = Σ G ⊙ LayerNorm(x): check dx, dgamma and dbeta against central differences.
        const int batch = 3, width = 7;
        double[] x = Random<double>(batch * width, 41, 2.0), gamma = Random<double>(width, 42), beta = Random<double>(width, 43);
        double[] g = Random<double>(batch * width, 44);
        double Loss()
        {
            var y = new double[batch * width];
            LayerNorm.Forward<double>(y, width, [], [], x, width, gamma, beta, batch, width, 1e-5);
            double l = 0;
            for (int i = 0; i < y.Length; i++) l += g[i] * y[i];
            return l;
        }
        double[] mean = new double[batch], rstd = new double[batch], yOut = new double[batch * width];
        LayerNorm.Forward<double>(yOut, width, mean, rstd, x, width, gamma, beta, batch, width, 1e-5);
        double[] dx = new double[batch * width], dgamma = new double[width], dbeta = new double[width];
        LayerNorm.Backward<double>(dx, width, false, dgamma, dbeta, g, width, x, width, mean, rstd, gamma, batch, width);

        AssertGradientMatchesFiniteDifferences(x, dx, Loss, "x");
        AssertGradientMatchesFiniteDifferences(gamma, dgamma, Loss, "gamma");
        AssertGradientMatchesFiniteDifferences(beta, dbeta, Loss, "beta");
    }

    [Fact]
    public void WrittenParameterGradientsEqualAddingToZeros()
    {
        const int batch = 5, width = 19;
        double[] x = Random<double>(batch * width, 1), gamma = Random<double>(width, 2), beta = Random<double>(width, 3), g = Random<double>(batch * width, 4);
        double[] mean = new double[batch], rstd = new double[batch], y = new double[batch * width];
        LayerNorm.Forward<double>(y, width, mean, rstd, x, width, gamma, beta, batch, width, 1e-5);
        double[] dgammaAdded = new double[width], dbetaAdded = new double[width];
        double[] dgammaWritten = Random<double>(width, 5), dbetaWritten = Random<double>(width, 6);
        dbetaWritten[3] = double.NaN;
        Assert.True(LayerNorm.Backward<double>(new double[batch * width], width, false, dgammaAdded, dbetaAdded, accumulateParameters: true,
            g, width, x, width, mean, rstd, gamma, batch, width));
        Assert.True(LayerNorm.Backward<double>(new double[batch * width], width, false, dgammaWritten, dbetaWritten, accumulateParameters: false,
            g, width, x, width, mean, rstd, gamma, batch, width));
        Assert.Equal(dgammaAdded, dgammaWritten);
        Assert.Equal(dbetaAdded, dbetaWritten);

        g[width + 2] = double.NaN;
        Assert.False(LayerNorm.Backward<double>(new double[batch * width], width, false, dgammaWritten, dbetaWritten, accumulateParameters: false,
            g, width, x, width, mean, rstd, gamma, batch, width));
    }
}
