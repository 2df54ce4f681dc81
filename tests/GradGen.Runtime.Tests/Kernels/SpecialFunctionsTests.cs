using System.Runtime.Intrinsics;
using GradGen.Kernels;

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

    [Fact]
    public void VectorExpIsWithinOneUlpOfMathExp()
    {
        // Normal results within 1 ulp (2.2e-16 relative is one ulp just below a power of two); subnormal results within
        // one subnormal step; and the edges exactly: overflow, underflow, NaN, ±∞, −0.
        var rng = new Rng(9);
        var lanes = new double[8];
        for (int i = 0; i < 200_000; i++)
        {
            for (int l = 0; l < 8; l++) lanes[l] = i % 4 == 0 ? rng.NextUniform(-760, 720) : rng.NextUniform(-30, 30);
            Vector512<double> e = SpecialFunctions.Exp(Vector512.Create(lanes));
            for (int l = 0; l < 8; l++)
            {
                double expected = Math.Exp(lanes[l]), actual = e[l];
                double allowed = expected >= 2.2250738585072014e-308 ? 2.3e-16 * expected : double.Epsilon;
                if (double.IsInfinity(expected)) Assert.Equal(expected, actual);
                else Assert.True(Math.Abs(actual - expected) <= allowed, $"exp({lanes[l]:R}) = {expected:R}, vector {actual:R}");
            }
        }
        double[] edges = [-800, -745.2, -745.1, -744.5, -708.4, 709.78, 709.79, 710, 1e300, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, 1e-300];
        foreach (double x in edges) Assert.Equal(Math.Exp(x), SpecialFunctions.Exp(Vector512.Create(x))[0]);
    }

    [Fact]
    public void VectorExpM1AndTanhAgreeWithScalar()
    {
        // A few ulp of the scalar versions (4e-16 relative), over tiny, moderate and saturating arguments.
        var rng = new Rng(10);
        var lanes = new double[8];
        for (int i = 0; i < 100_000; i++)
        {
            for (int l = 0; l < 8; l++)
            {
                double magnitude = Math.Pow(10, rng.NextUniform(-12, 2.7)); // 1e-12 … 500
                lanes[l] = rng.NextUniform(-1, 1) < 0 ? -magnitude : magnitude;
            }
            Vector512<double> x = Vector512.Create(lanes), m = SpecialFunctions.ExpM1(x), t = SpecialFunctions.Tanh(x);
            for (int l = 0; l < 8; l++)
            {
                double expectedM = SpecialFunctions.ExpM1(lanes[l]), expectedT = Math.Tanh(lanes[l]);
                if (double.IsInfinity(expectedM)) Assert.Equal(expectedM, m[l]);
                else Assert.True(Math.Abs(m[l] - expectedM) <= 1e-15 * Math.Abs(expectedM), $"expm1({lanes[l]:R}) = {expectedM:R}, vector {m[l]:R}");
                Assert.True(Math.Abs(t[l] - expectedT) <= 1e-15 * Math.Abs(expectedT), $"tanh({lanes[l]:R}) = {expectedT:R}, vector {t[l]:R}");
            }
        }
        double[] edges = [0.0, -0.0, 1e-300, -1e-300, 20, -20, 400, -400, double.PositiveInfinity, double.NegativeInfinity, double.NaN];
        foreach (double x in edges)
        {
            Assert.Equal(Math.Tanh(x), SpecialFunctions.Tanh(Vector512.Create(x))[0]);
            Assert.Equal(SpecialFunctions.ExpM1(x), SpecialFunctions.ExpM1(Vector512.Create(x))[0]);
        }
    }
}
