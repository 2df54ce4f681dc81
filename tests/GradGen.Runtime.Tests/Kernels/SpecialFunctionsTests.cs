using GradGen.Kernels;

using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class SpecialFunctionsTests
{
    // erf(x) to 17 significant digits, from mpmath at 40 digits; the points straddle Cody's range boundaries 0.5 and 4.
    public static TheoryData<double, double> ErfValues => new()
    {
        { 0.5, 0.5204998778130465 }, { 1.0, 0.8427007929497149 }, { 2.0, 0.9953222650189527 },
        { -3.0, -0.9999779095030014 }, { 1e-3, 0.0011283787909692363 },
        { 1e-300, 1.1283791670955126e-300 }, { 1e-10, 1.1283791670955126e-10 }, { 0.1, 0.1124629160182849 },
        { 0.3, 0.32862675945912742 }, { 0.49, 0.51166826118852309 }, { 0.51, 0.52924361984117044 },
        { 0.75, 0.71115563365351513 }, { 1.5, 0.96610514647531073 }, { 2.5, 0.99959304798255504 },
        { 3.9, 0.9999999652077514 }, { 4.0, 0.9999999845827421 }, { 4.1, 0.99999999329997235 },
        { 5.0, 0.99999999999846254 }, { 5.5, 0.99999999999999264 }, { 5.9, 0.99999999999999993 }, { 6.5, 1.0 },
        { -0.2, -0.22270258921047847 }, { -0.5, -0.52049987781304654 }, { -1.7, -0.98379045859077456 },
        { -4.5, -0.99999999980338396 }, { 0.0, 0.0 },
    };

    [Theory]
    [MemberData(nameof(ErfValues))]
    public void ErfMatchesHighPrecisionValues(double x, double expected)
    {
        double actual = SpecialFunctions.Erf(x);
        Assert.True(Math.Abs(actual - expected) <= 2e-16 * Math.Abs(expected), $"erf({x}) = {actual:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(0.7, 0.32219880616258156)]
    [InlineData(2.0, 0.0046777349810472658)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.0884875837625448e-45)]
    [InlineData(20.0, 5.3958656116079009e-176)]
    [InlineData(26.0, 5.6631924088561428e-296)]
    [InlineData(-1.0, 1.8427007929497149)]
    [InlineData(-3.0, 1.9999779095030014)]
    public void ErfcKeepsRelativePrecisionInTheTail(double x, double expected)
    {
        double actual = SpecialFunctions.Erfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-15 * Math.Abs(expected), $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Fact]
    public void ErfIsOddAndSaturatesAndPropagatesNaN()
    {
        for (double x = 0.01; x < 8; x += 0.37) Assert.Equal(-SpecialFunctions.Erf(x), SpecialFunctions.Erf(-x));
        Assert.Equal(1.0, SpecialFunctions.Erf(40));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
    }

    [Theory]
    [InlineData(1e-20, 1e-20)]
    [InlineData(0.3, 0.26236426446749105)]
    [InlineData(-0.5, -0.69314718055994531)]
    public void Log1PIsAccurateForTinyArguments(double x, double expected)
        => Assert.True(Math.Abs(SpecialFunctions.Log1P(x) - expected) <= 4e-16 * Math.Abs(expected), $"log1p({x}) = {SpecialFunctions.Log1P(x):R}");

    [Theory]
    [InlineData(1e-8, 1.000000005e-8)]
    [InlineData(-1e-10, -9.9999999995e-11)]
    [InlineData(0.3, 0.3498588075760031)]
    [InlineData(-0.4, -0.3296799539643607)]
    [InlineData(3.0, 19.085536923187668)]
    public void ExpM1IsAccurateForTinyArguments(double x, double expected)
        => Assert.True(Math.Abs(SpecialFunctions.ExpM1(x) - expected) <= 4e-16 * Math.Abs(expected), $"expm1({x}) = {SpecialFunctions.ExpM1(x):R}");

    /// <summary>The vector functions at one width, on an array whose length is a multiple of 8.</summary>
    private sealed class Evaluate(double[] x) : IWidthCheck<double>
    {
        public double[] Exp = [], ExpM1 = [], Tanh = [], Log = [], Log1P = [], Erf = [];

        public unsafe void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, double>
        {
            Exp = new double[x.Length]; ExpM1 = new double[x.Length]; Tanh = new double[x.Length];
            Log = new double[x.Length]; Log1P = new double[x.Length]; Erf = new double[x.Length];
            fixed (double* px = x, e = Exp, m = ExpM1, t = Tanh, l = Log, l1 = Log1P, f = Erf)
            {
                for (int i = 0; i < x.Length; i += TOps.Count)
                {
                    TVec v = TOps.Load(px + i);
                    TOps.Store(SpecialFunctions.Exp<TVec, TOps>(v), e + i);
                    TOps.Store(SpecialFunctions.ExpM1<TVec, TOps>(v), m + i);
                    TOps.Store(SpecialFunctions.Tanh<TVec, TOps>(v), t + i);
                    TOps.Store(SpecialFunctions.Log<TVec, TOps>(v), l + i);
                    TOps.Store(SpecialFunctions.Log1P<TVec, TOps>(v), l1 + i);
                    TOps.Store(SpecialFunctions.Erf<TVec, TOps>(v), f + i);
                }
            }
        }
    }

    private static Evaluate At(int width, double[] x)
    {
        var result = new Evaluate(x);
        AtWidth(width, result);
        return result;
    }

    private sealed class EvaluateExpForFloat(double[] x) : IWidthCheck<double>
    {
        public double[] Result = [];

        public unsafe void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, double>
        {
            Result = new double[x.Length];
            fixed (double* px = x, pr = Result)
                for (int i = 0; i < x.Length; i += TOps.Count)
                    TOps.Store(SpecialFunctions.ExpNonPositiveForFloat<TVec, TOps>(TOps.Load(px + i)), pr + i);
        }
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void ShortExpForFloatIsWithin3e13OfMathExp(int width)
    {
        // [−128, 0] within 3e-13 relative (the series's 2.2e-13 and the roundings); below −128 the clamped e^−128, which is 0 once rounded to float; NaN stays NaN.
        var rng = new Rng(10);
        double[] x = new double[100_000];
        for (int i = 0; i < x.Length; i++) x[i] = i % 4 == 0 ? rng.NextUniform(-128, 0) : rng.NextUniform(-20, 0);
        x[0] = 0; x[1] = -0.0; x[2] = -128; x[3] = -1e-300;
        var check = new EvaluateExpForFloat(x);
        AtWidth(width, check);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            Assert.True(Math.Abs(check.Result[i] - expected) <= 3e-13 * expected, $"exp({x[i]:R}) = {expected:R}, short {check.Result[i]:R}");
        }
        double[] edges = [-129, -1000, double.NegativeInfinity, double.NaN, -200, -500, -1e300, -128.5];
        check = new EvaluateExpForFloat(edges);
        AtWidth(width, check);
        Assert.True(double.IsNaN(check.Result[3]));
        foreach (int i in new[] { 0, 1, 2, 4, 5, 6, 7 })
            Assert.True(check.Result[i] <= 2.6e-56 && (float)check.Result[i] == 0f, $"exp({edges[i]}) → {check.Result[i]:R}");
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void VectorExpIsWithinOneUlpOfMathExp(int width)
    {
        // Normal results within 1 ulp (2.2e-16 relative is one ulp just below a power of two); subnormal results within
        // one subnormal step; and the edges exactly: overflow, underflow, NaN, ±∞, −0.
        var rng = new Rng(9);
        double[] x = new double[200_000];
        for (int i = 0; i < x.Length; i++) x[i] = i % 4 == 0 ? rng.NextUniform(-760, 720) : rng.NextUniform(-30, 30);
        double[] e = At(width, x).Exp;
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]), actual = e[i];
            double allowed = expected >= 2.2250738585072014e-308 ? 2.3e-16 * expected : double.Epsilon;
            if (double.IsInfinity(expected)) Assert.Equal(expected, actual);
            else Assert.True(Math.Abs(actual - expected) <= allowed, $"exp({x[i]:R}) = {expected:R}, vector {actual:R}");
        }
        double[] edges = [-800, -745.2, -745.1, -744.5, -708.4, 709.78, 709.79, 710, 1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e-300, 0, 0];
        e = At(width, edges).Exp;
        for (int i = 0; i < edges.Length; i++) Assert.Equal(Math.Exp(edges[i]), e[i]);
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void VectorExpM1AndTanhAgreeWithScalar(int width)
    {
        // A few ulp of the scalar versions (1e-15 relative), over tiny, moderate and saturating arguments.
        var rng = new Rng(10);
        double[] x = new double[100_000];
        for (int i = 0; i < x.Length; i++)
        {
            double magnitude = Math.Pow(10, rng.NextUniform(-12, 2.7)); // 1e-12 … 500
            x[i] = rng.NextUniform(-1, 1) < 0 ? -magnitude : magnitude;
        }
        Evaluate r = At(width, x);
        for (int i = 0; i < x.Length; i++)
        {
            double expectedM = SpecialFunctions.ExpM1(x[i]), expectedT = Math.Tanh(x[i]);
            if (double.IsInfinity(expectedM)) Assert.Equal(expectedM, r.ExpM1[i]);
            else Assert.True(Math.Abs(r.ExpM1[i] - expectedM) <= 1e-15 * Math.Abs(expectedM), $"expm1({x[i]:R}) = {expectedM:R}, vector {r.ExpM1[i]:R}");
            Assert.True(Math.Abs(r.Tanh[i] - expectedT) <= 1e-15 * Math.Abs(expectedT), $"tanh({x[i]:R}) = {expectedT:R}, vector {r.Tanh[i]:R}");
        }
        double[] edges = [0.0, -0.0, 1e-300, -1e-300, 20, -20, 400, -400, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 1, 1, 1, 1, 1];
        r = At(width, edges);
        for (int i = 0; i < edges.Length; i++)
        {
            Assert.Equal(Math.Tanh(edges[i]), r.Tanh[i]);
            Assert.Equal(SpecialFunctions.ExpM1(edges[i]), r.ExpM1[i]);
        }
    }

    [SkippableTheory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void VectorLogLog1PAndErfAgreeWithScalar(int width)
    {
        // log over positive normal doubles (2 ulp of Math.Log), log1p over [0, 1e9] (Softplus' range, 1e-15 of the
        // scalar), erf over all three of Cody's ranges and past 6 (1e-15 of the scalar, exact signs and ±1 tails).
        var rng = new Rng(11);
        double[] x = new double[100_000];
        for (int i = 0; i < x.Length; i++) x[i] = Math.Pow(10, rng.NextUniform(-300, 300));
        Evaluate r = At(width, x);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Log(x[i]);
            Assert.True(Math.Abs(r.Log[i] - expected) <= 4.5e-16 * Math.Abs(expected), $"log({x[i]:R}) = {expected:R}, vector {r.Log[i]:R}");
        }
        for (int i = 0; i < x.Length; i++) x[i] = i % 2 == 0 ? Math.Pow(10, rng.NextUniform(-20, 9)) : rng.NextUniform(0, 3);
        r = At(width, x);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = SpecialFunctions.Log1P(x[i]);
            Assert.True(Math.Abs(r.Log1P[i] - expected) <= 1e-15 * Math.Abs(expected), $"log1p({x[i]:R}) = {expected:R}, vector {r.Log1P[i]:R}");
        }
        for (int i = 0; i < x.Length; i++) x[i] = i % 3 == 0 ? rng.NextUniform(-8, 8) : rng.NextUniform(-1, 1) * Math.Pow(10, rng.NextUniform(-10, 0));
        r = At(width, x);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = SpecialFunctions.Erf(x[i]);
            Assert.True(Math.Abs(r.Erf[i] - expected) <= 1e-15 * Math.Abs(expected), $"erf({x[i]:R}) = {expected:R}, vector {r.Erf[i]:R}");
        }
        double[] edges = [0.0, -0.0, 0.5, -0.5, 4, -4, 6, -6, 30, -30, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 1e-300, 0.25, 5];
        r = At(width, edges);
        for (int i = 0; i < edges.Length; i++)
        {
            double expected = SpecialFunctions.Erf(edges[i]);
            if (double.IsNaN(expected)) Assert.True(double.IsNaN(r.Erf[i]));
            else Assert.True(Math.Abs(r.Erf[i] - expected) <= 1e-15 * Math.Abs(expected), $"erf({edges[i]:R}) = {expected:R}, vector {r.Erf[i]:R}");
        }
        Assert.Equal(-0.0, r.Erf[1]);
        Assert.True(double.IsNegative(r.Erf[1]));
    }
}
