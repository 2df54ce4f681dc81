using System.Numerics;
using GradGen.Monitoring;

namespace GradGen.Runtime.Tests.Monitoring;

/// <summary>The vectorised statistics against the plain double loops, on strided matrices whose widths are and are not
/// multiples of the vector width, with exact zeros and saturated values in them.</summary>
public class StatisticsKernelsTests
{
    public static TheoryData<int, int, int> Shapes => new() { { 1, 1, 1 }, { 3, 7, 9 }, { 5, 16, 16 }, { 4, 33, 40 }, { 2, 100, 130 }, { 17, 64, 64 } };

    private static T[] Values<T>(int rows, int ld, ulong seed) where T : IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var a = new T[(rows - 1) * ld + ld];
        for (int i = 0; i < a.Length; i++)
        {
            double u = rng.NextDouble();
            // a quarter exact zeros (dead ReLUs), some near 0 and 1 (saturated sigmoid), the rest spread out
            a[i] = T.CreateTruncating(u < 0.25 ? 0 : u < 0.35 ? 0.999 : u < 0.45 ? 0.001 : rng.NextNormal() * 3);
        }
        return a;
    }

    private static void Close(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    private static void Check<T>(int rows, int cols, int ld, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = Values<T>(rows, ld, (ulong)(rows * 1000 + cols));
        foreach (var saturation in new[] { Saturation.None, Saturation.Sigmoid, Saturation.Tanh })
        {
            var e = StatisticsReference.Activations<T>(a, rows, cols, ld, saturation);
            var s = StatisticsKernels.Activations<T>(a, rows, cols, ld, saturation);
            Close(e.Mean, s.Mean, tol, "mean");
            Close(e.Std, s.Std, tol * 10, "std");
            Assert.Equal(e.Min, s.Min);
            Assert.Equal(e.Max, s.Max);
            Assert.Equal(e.ZeroFraction, s.ZeroFraction);
            Assert.Equal(e.SaturatedFraction, s.SaturatedFraction);
        }
        var g = StatisticsReference.Gradients<T>(a, rows, cols, ld);
        var k = StatisticsKernels.Gradients<T>(a, rows, cols, ld);
        Close(g.Mean, k.Mean, tol, "gradient mean");
        Close(g.Std, k.Std, tol * 10, "gradient std");
        Close(g.L2Norm, k.L2Norm, tol, "L2");
        Assert.Equal(g.MaxAbs, k.MaxAbs);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DoubleMatchesTheReference(int rows, int cols, int ld) => Check<double>(rows, cols, ld, 1e-13);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FloatMatchesTheReference(int rows, int cols, int ld) => Check<float>(rows, cols, ld, 1e-5);

    [Fact]
    public void NormsAndDistancesMatchPlainSums()
    {
        var a = Values<double>(1, 10_000, 1);
        var b = Values<double>(1, 10_000, 2);
        Close(Math.Sqrt(a.Sum(x => x * x)), StatisticsKernels.L2Norm<double>(a), 1e-13, "norm");
        Close(Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum()), StatisticsKernels.DistanceL2<double>(a, b), 1e-13, "distance");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(10_000)]
    public void ParameterSumsOfSquaresMatchPlainSums(int n)
    {
        var before = Values<float>(1, n, 3);
        var after = Values<float>(1, n, 4);
        var g = Values<float>(1, n, 5);
        var (weights, update, gradients) = StatisticsKernels.ParameterSumsOfSquares<float>(before, after, g);
        Close(before.Sum(x => (double)x * x), weights, 1e-6, "Σ w²");
        Close(before.Zip(after, (x, y) => (double)(y - x) * (y - x)).Sum(), update, 1e-6, "Σ (w′ − w)²");
        Close(g.Sum(x => (double)x * x), gradients, 1e-6, "Σ g²");
        Close(g.Sum(x => (double)x * x), StatisticsKernels.SumOfSquares<float>(g), 1e-6, "SumOfSquares");
    }

    [Fact]
    public void ABadShapeIsRefusedWithItsNumbers()
    {
        var e = Assert.Throws<ArgumentException>(() => StatisticsKernels.Gradients<double>(new double[10], 3, 4, 4));
        Assert.Contains("(3, 4)", e.Message);
    }
    [Theory]
    [MemberData(nameof(Shapes))]
    public void HistogramMatchesTheReference(int rows, int cols, int ld)
    {
        // Magnitudes over 40 decades, with exact zeros, and the edge cases: exact powers of two, the value just below
        // one, subnormals, values beyond both ends of the range, infinity and NaN.
        var rng = new Rng((ulong)(rows * 31 + cols));
        var a = new double[(rows - 1) * ld + ld];
        double[] edges = [1.0, Math.BitDecrement(1.0), 0.5, -0.25, double.Epsilon, 1e-300, 1e30, double.PositiveInfinity, double.NaN, 0.0, -0.0];
        for (int i = 0; i < a.Length; i++)
            a[i] = i < edges.Length ? edges[i] : (rng.NextDouble() < 0.5 ? -1 : 1) * Math.Pow(10, -25 + 35 * rng.NextDouble());
        var f = a.Select(x => (float)x).ToArray();
        var counts = new long[GradientHistogram.Length];
        GradientHistogram.Count<double>(a, rows, cols, ld, counts);
        Assert.Equal(StatisticsReference.GradientHistogram<double>(a, rows, cols, ld), counts);
        GradientHistogram.Count<float>(f, rows, cols, ld, counts);
        Assert.Equal(StatisticsReference.GradientHistogram<float>(f, rows, cols, ld), counts);
        Assert.Equal((long)rows * cols, counts.Sum());
    }

    [Fact]
    public void HistogramBinsArePowersOfTwo()
    {
        double[] values = [0, 1.0, Math.BitDecrement(1.0), 3.0, 1e-30, 1e30];
        var counts = new long[GradientHistogram.Length];
        GradientHistogram.Count<double>(values, 1, values.Length, values.Length, counts);
        int BinOf(double x) => 1 + Math.Clamp((int)Math.Floor(Math.Log2(x)) - GradientHistogram.MinExponent, 0, GradientHistogram.Bins - 1);
        Assert.Equal(1, counts[0]);
        Assert.Equal(1, counts[BinOf(1.0)]);     // [1, 2)
        Assert.Equal(1, counts[BinOf(1.0) - 1]); // just below 1: [0.5, 1)
        Assert.Equal(1, counts[BinOf(1.0) + 1]); // 3 in [2, 4)
        Assert.Equal(1, counts[1]);              // 1e-30 < 2^-64: the first bin
        Assert.Equal(1, counts[^1]);             // 1e30 ≥ 2^16: the last bin
        Assert.Equal(1.0, GradientHistogram.LowerEdge(BinOf(1.0) - 1));
    }
}
