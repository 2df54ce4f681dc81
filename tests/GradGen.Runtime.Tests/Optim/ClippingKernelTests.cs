using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>The clipping kernels against plain loops (every length around the vector width, NaN in the vector part and
/// in the tail), the percentile against NumPy's values, and AutoClip against a direct computation on a known sequence.</summary>
public class ClippingKernelTests
{
    private static float[] Random(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)rng.NextNormal();
        return a;
    }

    public static TheoryData<int> Lengths => new() { 0, 1, 7, 8, 15, 16, 17, 33, 100, 4095, 4097, 10_000 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void MaxAbsAndClampEqualPlainLoops(int n)
    {
        float[] g = Random(n, (ulong)n + 1);
        double expectedMax = g.Select(x => Math.Abs((double)x)).DefaultIfEmpty(0).Max();
        Assert.Equal(expectedMax, GradientClipping.MaxAbs<float>(g));
        Assert.Equal(expectedMax, GradientClipping.TotalNorm<float>(g, double.PositiveInfinity));

        float[] expectedClamped = g.Select(x => Math.Clamp(x, -0.5f, 0.5f)).ToArray();
        Assert.Equal(expectedMax, GradientClipping.ClipGradValue<float>(g, 0.5));
        Assert.Equal(expectedClamped, g);
    }

    [Theory]
    [InlineData(3)]      // in the vector part
    [InlineData(10_001)] // in the scalar tail (10,003 values)
    public void ANaNIsKeptByTheClampAndMakesTheNormsNaN(int at)
    {
        float[] g = Random(10_003, 5);
        g[at] = float.NaN;
        Assert.True(double.IsNaN(GradientClipping.TotalNorm<float>(g)));
        Assert.True(double.IsNaN(GradientClipping.TotalNorm<float>(g, double.PositiveInfinity)));
        Assert.True(double.IsNaN(GradientClipping.ClipGradValue<float>(g, 0.1)));
        Assert.True(float.IsNaN(g[at]));
        Assert.Equal(1, g.Count(float.IsNaN));
        Assert.All(g.Where(x => !float.IsNaN(x)), x => Assert.InRange(x, -0.1f, 0.1f));
    }

    [Fact]
    public void AnInfiniteNormScalesFiniteGradientsToZeroAsPyTorch()
    {
        // clip_coef = max_norm / (inf + 1e-6) = 0: finite gradients become 0, the infinite one NaN (inf · 0).
        double[] g = [1, double.PositiveInfinity, -2];
        Assert.Equal(double.PositiveInfinity, GradientClipping.ClipGradNorm<double>(g, 1.0));
        Assert.Equal(0, g[0]);
        Assert.True(double.IsNaN(g[1]));
        Assert.Equal(0, g[2]); // -2 · 0 = -0, equal to 0
    }

    [Fact]
    public void TheCoefficientIsPyTorchsClampedRatio()
    {
        Assert.Equal(0.5 / (2 + 1e-6), GradientClipping.ClipCoefficient(0.5, 2));
        Assert.Equal(1, GradientClipping.ClipCoefficient(3, 2));
        Assert.Equal(1, GradientClipping.ClipCoefficient(1, 0));
        Assert.True(double.IsNaN(GradientClipping.ClipCoefficient(1, double.NaN)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClipByNorm<float>(1, normType: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClipByNorm<float>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClipByValue<float>(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AutoClip<float>(101));
    }

    [Theory]
    // np.percentile(values, p) (NumPy 2, method="linear"), worked by hand: h = (n − 1)·p/100
    [InlineData(new[] { 1.0, 2, 3, 4 }, 10, 1.3)]
    [InlineData(new[] { 15.0, 20, 35, 40, 50 }, 40, 29)]
    [InlineData(new[] { 15.0, 20, 35, 40, 50 }, 100, 50)]
    [InlineData(new[] { 15.0, 20, 35, 40, 50 }, 0, 15)]
    [InlineData(new[] { 7.0 }, 10, 7)]
    public void PercentileIsNumPysLinearInterpolation(double[] sorted, double p, double expected)
        => Assert.Equal(expected, AutoClip<float>.PercentileOfSorted(sorted, p), 1e-12);

    [Theory]
    [InlineData(10, 1000)] // the window never fills: every norm so far
    [InlineData(10, 5)]    // a window of the last 5 norms
    [InlineData(50, 3)]
    [InlineData(100, 1)]
    public void AutoClipClipsAtThePercentileOfTheNormsSoFar(double percentile, int capacity)
    {
        // A known sequence of norms: gradient k is a fixed direction u (‖u‖ = 1) times norm k, so its norm is norm k.
        double[] norms = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, double.NaN, 3, 2, 3, 8, 4, 6];
        double[] u = [0.6, 0, -0.8];
        var clipper = new AutoClip<double>(percentile, capacity);
        var parameters = new[] { new ParameterInfo("w", [3], 0, 3) };
        var seen = new List<double>();
        double threshold = 0;
        for (int k = 0; k < norms.Length; k++)
        {
            double[] g = u.Select(x => x * norms[k]).ToArray();
            double measured = clipper.Clip(g, parameters);

            if (double.IsNaN(norms[k]))
            {
                // never added to the history; the gradients are scaled by NaN as clip_grad_norm_ would
                Assert.True(double.IsNaN(measured));
                Assert.All(g, x => Assert.True(double.IsNaN(x)));
                continue;
            }
            Assert.Equal(norms[k], measured, 1e-14);
            seen.Add(measured); // the history holds the norms as measured, rounding included
            var window = seen.Skip(Math.Max(0, seen.Count - capacity)).Order().ToArray();
            double h = (window.Length - 1) * percentile / 100;
            int lo = (int)Math.Floor(h);
            threshold = lo + 1 < window.Length ? window[lo] + (h - lo) * (window[lo + 1] - window[lo]) : window[lo];
            double coefficient = Math.Min(threshold / (measured + 1e-6), 1);

            Assert.Equal(threshold, clipper.Threshold, 1e-14);
            Assert.Equal(window, clipper.SortedHistory.ToArray());
            for (int i = 0; i < 3; i++) Assert.Equal(u[i] * norms[k] * coefficient, g[i], 1e-14);
        }
        Assert.Equal(Math.Min(capacity, norms.Length - 1), clipper.Count);
        Assert.True(threshold > 0);
    }

    [Fact]
    public void AutoClipAllocatesNothingPerStep()
    {
        var clipper = new AutoClip<float>(10, historyCapacity: 32);
        var parameters = new[] { new ParameterInfo("w", [100], 0, 100) };
        float[] g = Random(100, 9);
        for (int i = 0; i < 200; i++) clipper.Clip(g, parameters); // fills and wraps the window
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            g[i % 100] *= 1.5f;
            clipper.Clip(g, parameters);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
