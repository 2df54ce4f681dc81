using System.Numerics;

namespace GradGen.Runtime.Tests.Init;

public class InitializersTests
{
    private const int FanIn = 500, FanOut = 400, N = FanIn * FanOut;

    private static double[] Draw(GradGen.Init kind, double a, double b, ulong seed = 1, int fanIn = FanIn, int fanOut = FanOut, int? length = null)
    {
        var tensor = new double[length ?? fanIn * fanOut];
        var rng = new Rng(seed);
        Initializers.Fill<double>(tensor, kind, a, b, fanIn, fanOut, ref rng);
        return tensor;
    }

    /// <summary>Asserts the sample mean and variance are within 5 standard errors of the distribution's.</summary>
    private static void AssertMoments(double[] x, double mean, double variance, bool uniform)
    {
        int n = x.Length;
        double m = x.Average();
        double v = x.Sum(t => (t - m) * (t - m)) / (n - 1);
        double meanError = Math.Sqrt(variance / n);
        // Var(sample variance) ≈ (μ₄ − σ⁴)/n: μ₄ = 3σ⁴ (normal), 9σ⁴/5 (uniform).
        double varianceError = variance * Math.Sqrt((uniform ? 0.8 : 2.0) / n);
        Assert.True(Math.Abs(m - mean) <= 5 * meanError, $"mean {m} vs {mean} (se {meanError:E2})");
        Assert.True(Math.Abs(v - variance) <= 5 * varianceError, $"variance {v} vs {variance} (se {varianceError:E2})");
    }

    [Fact]
    public void DefaultIsUniformWithinOneOverRootFanIn()
    {
        double[] w = Draw(GradGen.Init.Default, 0, 0);
        double bound = 1 / Math.Sqrt(FanIn);
        Assert.All(w, t => Assert.InRange(t, -bound, bound));
        Assert.True(w.Max() > 0.999 * bound && w.Min() < -0.999 * bound);
        AssertMoments(w, 0, bound * bound / 3, uniform: true);

        // A bias of length fan_out uses the layer's fan_in too.
        double[] bias = Draw(GradGen.Init.Default, 0, 0, length: FanOut);
        Assert.All(bias, t => Assert.InRange(t, -bound, bound));
    }

    [Fact]
    public void NormalHasMeanAAndStdB() => AssertMoments(Draw(GradGen.Init.Normal, 0.3, 0.7), 0.3, 0.49, uniform: false);

    [Fact]
    public void UniformStaysInItsBoundsWithTheRightMoments()
    {
        double[] x = Draw(GradGen.Init.Uniform, -0.2, 0.6);
        Assert.All(x, t => Assert.True(t >= -0.2 && t < 0.6));
        AssertMoments(x, 0.2, 0.8 * 0.8 / 12, uniform: true);
    }

    [Fact]
    public void XavierMoments()
    {
        double std = 1.5 * Math.Sqrt(2.0 / (FanIn + FanOut));
        AssertMoments(Draw(GradGen.Init.XavierNormal, 1.5, 0), 0, std * std, uniform: false);
        double[] u = Draw(GradGen.Init.XavierUniform, 1.5, 0);
        double bound = 1.5 * Math.Sqrt(6.0 / (FanIn + FanOut));
        Assert.All(u, t => Assert.InRange(t, -bound, bound));
        AssertMoments(u, 0, std * std, uniform: true);
    }

    [Fact]
    public void KaimingMoments()
    {
        double gain = Math.Sqrt(2);
        double std = gain / Math.Sqrt(FanIn);
        AssertMoments(Draw(GradGen.Init.KaimingNormal, gain, 0), 0, std * std, uniform: false);
        double[] u = Draw(GradGen.Init.KaimingUniform, gain, 0);
        double bound = gain * Math.Sqrt(3.0 / FanIn);
        Assert.All(u, t => Assert.InRange(t, -bound, bound));
        AssertMoments(u, 0, std * std, uniform: true);
    }

    [Fact]
    public void ConstantAndZeros()
    {
        Assert.All(Draw(GradGen.Init.Constant, 0.25, 0, fanIn: 3, fanOut: 2), t => Assert.Equal(0.25, t));
        var tensor = new float[] { 1, 2, 3 };
        var rng = new Rng(1);
        Initializers.Fill<float>(tensor, GradGen.Init.Zeros, 0, 0, 3, 1, ref rng);
        Assert.Equal([0f, 0f, 0f], tensor);
    }

    [Theory]
    [InlineData(5, 8, 1.0)]     // rows < cols: W·Wᵀ = gain²·I
    [InlineData(8, 8, 1.0)]
    [InlineData(12, 5, 1.0)]    // rows > cols: Wᵀ·W = gain²·I
    [InlineData(64, 100, 1.7)]
    [InlineData(100, 64, 1.7)]
    [InlineData(1, 7, 2.0)]
    [InlineData(7, 1, 2.0)]
    public void OrthogonalIsOrthogonalTimesGain(int rows, int columns, double gain)
    {
        double[] w = Draw(GradGen.Init.Orthogonal, gain, 0, seed: 9, fanIn: columns, fanOut: rows);
        // Gram matrix of the shorter dimension: rows of W if rows ≤ cols, columns otherwise.
        bool byRows = rows <= columns;
        int k = byRows ? rows : columns, len = byRows ? columns : rows;
        double At(int vector, int i) => byRows ? w[vector * columns + i] : w[i * columns + vector];
        for (int a = 0; a < k; a++)
            for (int b = 0; b < k; b++)
            {
                double dot = 0;
                for (int i = 0; i < len; i++) dot += At(a, i) * At(b, i);
                Assert.True(Math.Abs(dot - (a == b ? gain * gain : 0)) <= 1e-10, $"[{a},{b}] = {dot}");
            }
    }

    [Theory]
    [InlineData(9, 4)]
    [InlineData(6, 6)]
    [InlineData(4, 9)]
    public void OrthogonalIsTheQOfTheNormalMatrixWithPositiveDiagonal(int rows, int columns)
    {
        // torch: G ~ N(0,1) [rows, cols] (transposed if rows < cols) = Q·R, Q·sign(diag R). So R = Qᵀ·G must be
        // upper triangular with a positive diagonal.
        var rng = new Rng(21);
        var copy = rng;   // Rng is a value type: the copy replays the same normal draws
        var w = new double[rows * columns];
        Initializers.Fill<double>(w, GradGen.Init.Orthogonal, 1, 0, columns, rows, ref rng);
        var g = new double[rows * columns];
        for (int i = 0; i < g.Length; i++) g[i] = copy.NextNormal();

        bool transposed = rows < columns;
        int m = transposed ? columns : rows, n = transposed ? rows : columns;
        double A(int i, int j) => transposed ? g[j * columns + i] : g[i * columns + j];     // m×n
        double Q(int i, int j) => transposed ? w[j * columns + i] : w[i * columns + j];     // m×n
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double r = 0;
                for (int t = 0; t < m; t++) r += Q(t, i) * A(t, j);
                if (i > j) Assert.True(Math.Abs(r) < 1e-10, $"R[{i},{j}] = {r}");
                if (i == j) Assert.True(r > 0, $"R[{i},{i}] = {r}");
            }
    }

    [Fact]
    public void OrthogonalInFloatIsOrthogonalToFloatPrecision()
    {
        var w = new float[20 * 30];
        var rng = new Rng(4);
        Initializers.Fill<float>(w, GradGen.Init.Orthogonal, 1, 0, 30, 20, ref rng);
        for (int a = 0; a < 20; a++)
            for (int b = 0; b < 20; b++)
            {
                double dot = 0;
                for (int i = 0; i < 30; i++) dot += (double)w[a * 30 + i] * w[b * 30 + i];
                Assert.True(Math.Abs(dot - (a == b ? 1 : 0)) <= 1e-6);
            }
    }

    public static TheoryData<GradGen.Init> RandomKinds =>
    [
        GradGen.Init.Default, GradGen.Init.Normal, GradGen.Init.Uniform, GradGen.Init.XavierUniform,
        GradGen.Init.XavierNormal, GradGen.Init.KaimingUniform, GradGen.Init.KaimingNormal, GradGen.Init.Orthogonal,
    ];

    [Theory]
    [MemberData(nameof(RandomKinds))]
    public void SameSeedSameTensorDifferentSeedDifferent(GradGen.Init kind)
    {
        double a0 = kind == GradGen.Init.Uniform ? -1 : 1;   // gain, mean or low bound
        double[] a = Draw(kind, a0, 1, seed: 5, fanIn: 13, fanOut: 7);
        double[] b = Draw(kind, a0, 1, seed: 5, fanIn: 13, fanOut: 7);
        double[] c = Draw(kind, a0, 1, seed: 6, fanIn: 13, fanOut: 7);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(13 * 7, a.Distinct().Count());
    }

    [Fact]
    public void FillAdvancesTheGenerator()
    {
        var rng = new Rng(3);
        var first = new double[10];
        var second = new double[10];
        Initializers.Fill<double>(first, GradGen.Init.Normal, 0, 1, 10, 1, ref rng);
        Initializers.Fill<double>(second, GradGen.Init.Normal, 0, 1, 10, 1, ref rng);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void FloatAndDoubleDrawTheSameValues()
    {
        var rd = new Rng(17);
        var rf = new Rng(17);
        var d = new double[50];
        var f = new float[50];
        Initializers.Fill<double>(d, GradGen.Init.KaimingNormal, 1, 0, 10, 5, ref rd);
        Initializers.Fill<float>(f, GradGen.Init.KaimingNormal, 1, 0, 10, 5, ref rf);
        for (int i = 0; i < d.Length; i++) Assert.Equal((float)d[i], f[i]);
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        var t = new double[6];
        var rng = new Rng(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.Default, 0, 0, 0, 6, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.KaimingNormal, 1, 0, 0, 6, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.XavierUniform, 1, 0, 3, 0, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.Uniform, 1, 0, 3, 2, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.Normal, 0, -1, 3, 2, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, GradGen.Init.Constant, double.NaN, 0, 3, 2, ref rng));
        Assert.Throws<ArgumentException>(() => Initializers.Fill<double>(t, GradGen.Init.Orthogonal, 1, 0, 4, 2, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Fill<double>(t, (GradGen.Init)99, 1, 0, 3, 2, ref rng));
    }

    [Fact]
    public void GainsAreCalculateGains()
    {
        Assert.Equal(1, Initializers.Gain(Activation.Identity));
        Assert.Equal(1, Initializers.Gain(Activation.Sigmoid));
        Assert.Equal(5.0 / 3, Initializers.Gain(Activation.Tanh));
        Assert.Equal(Math.Sqrt(2), Initializers.Gain(Activation.ReLU));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), Initializers.Gain(Activation.LeakyReLU));
        Assert.Equal(Math.Sqrt(2 / 1.04), Initializers.Gain(Activation.LeakyReLU, 0.2), 15);
        foreach (var a in new[] { Activation.GELU, Activation.GELUTanh, Activation.SiLU, Activation.Softplus, Activation.ELU })
            Assert.Equal(1, Initializers.Gain(a));
    }

    [Fact]
    public void Filling_a_parameter_table_draws_each_tensor_in_table_order_from_one_generator()
    {
        // what a generated network's Initialize(seed) does: a weight (Default), a bias (Normal), a gain (Constant), with a
        // gap between the tensors that must stay untouched
        var table = new[]
        {
            new ParameterInfo("0.weight", [3, 4], 0, 12, new(GradGen.Init.Default, 0, 0, FanIn: 4, FanOut: 3)),
            new ParameterInfo("0.bias", [3], 12, 3, new(GradGen.Init.Normal, 0.5, 2, FanIn: 4, FanOut: 3)),
            new ParameterInfo("1.gamma", [5], 20, 5, new(GradGen.Init.Constant, 1.5, 0, FanIn: 5, FanOut: 5)),
        };
        var parameters = new double[25];
        parameters[17] = -7;
        Initializers.Fill<double>(parameters, table, seed: 42);

        var expected = new double[25];
        expected[17] = -7;
        var rng = new Rng(42);
        Initializers.Fill<double>(expected.AsSpan(0, 12), GradGen.Init.Default, 0, 0, 4, 3, ref rng);
        Initializers.Fill<double>(expected.AsSpan(12, 3), GradGen.Init.Normal, 0.5, 2, 4, 3, ref rng);
        Initializers.Fill<double>(expected.AsSpan(20, 5), GradGen.Init.Constant, 1.5, 0, 5, 5, ref rng);
        Assert.Equal(expected, parameters);
        Assert.All(parameters.AsSpan(0, 15).ToArray(), v => Assert.NotEqual(0, v));
    }
}
