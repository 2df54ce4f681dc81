using GradGen.Generators.Model;

namespace GradGen.Generators.Tests;

/// <summary>The forecast's integrals against closed forms, and its per-layer factors against the mean-field formulas
/// (docs/rules/GG1001.md). The forecast's agreement with measurement is tested on the corpus in tests/GradGen.Analyzers.Tests.</summary>
public class ForecastTests
{
    private static ActivationPlan Act(ActivationKind kind) => new(kind, 0.01, 1.0);

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.7, 0.3)]
    [InlineData(-2.0, 25.0)]
    [InlineData(0.0, 1e6)]
    public void ReLUMomentsMatchTheirClosedForms(double mean, double variance)
    {
        // z ~ N(m, s²): E[relu(z)²] = (m² + s²)Φ(m/s) + m·s·φ(m/s), E[relu′(z)²] = Φ(m/s)
        double s = Math.Sqrt(variance), a = mean / s;
        double phi = Math.Exp(-a * a / 2) / Math.Sqrt(2 * Math.PI), cdf = 0.5 * (1 + Erf(a / Math.Sqrt(2)));
        var integrals = Forecaster.Integrate(Act(ActivationKind.ReLU), mean, variance, 0);
        Assert.Equal((mean * mean + variance) * cdf + mean * s * phi, integrals.F2, 1e-3 * (mean * mean + variance));
        Assert.Equal(cdf, integrals.D2, 1e-3);
    }

    /// <summary>The case that fixed Gauss–Hermite nodes miss: tanh′² is a peak of width ~1 under a Gaussian of std 4.</summary>
    [Fact]
    public void TanhDerivativeAtLargeStdMatchesAFineRiemannSum()
    {
        double variance = 16, expected = 0;
        for (double z = -40; z < 40; z += 1e-3)
        {
            double t = Math.Tanh(z), d = 1 - t * t;
            expected += d * d * Math.Exp(-z * z / (2 * variance)) / Math.Sqrt(2 * Math.PI * variance) * 1e-3;
        }
        // 24-node Gauss–Hermite gives 0.078 here, 40% low; the composite rule is within 1e-4 relative
        Assert.Equal(expected, Forecaster.Integrate(Act(ActivationKind.Tanh), 0, variance, 0).D2, 1e-4 * expected);
    }

    [Theory]
    [InlineData((int)ActivationKind.Sigmoid)]
    [InlineData((int)ActivationKind.GELU)]
    [InlineData((int)ActivationKind.ELU)]
    public void TwoSampleMomentsAreExactAtZeroAndFullCorrelation(int activation) // int: ActivationKind is internal
    {
        var kind = (ActivationKind)activation;
        var independent = Forecaster.Integrate(Act(kind), 0.3, 2.0, 0);
        Assert.Equal(independent.F * independent.F, independent.FF, 1e-9);
        Assert.Equal(independent.D * independent.D, independent.DD, 1e-9);
        var identical = Forecaster.Integrate(Act(kind), 0.3, 2.0, 2.0);
        Assert.Equal(identical.F2, identical.FF, 1e-9);
        Assert.Equal(identical.D2, identical.DD, 1e-9);
    }

    [Fact]
    public void SigmoidDerivativeNeverExceedsItsBound()
    {
        foreach (double variance in new[] { 1e-4, 1.0, 100.0 })
            Assert.True(Forecaster.Integrate(Act(ActivationKind.Sigmoid), 0, variance, 0).D2 <= 0.0625 + 1e-12);
    }

    [Fact]
    public void DefaultInitialiserIsUniformOverOneOverSqrtFanInNotHe()
    {
        var (mean, variance) = Forecaster.Distribution(new InitModel(InitKind.Default, 0, 0), fanIn: 64, fanOut: 32);
        Assert.Equal(0, mean);
        Assert.Equal(1.0 / (3 * 64), variance, 1e-15); // U(±b) has variance b²/3, b = 1/√64
        Assert.Equal(2.0 / 64, Forecaster.Distribution(new InitModel(InitKind.KaimingNormal, Math.Sqrt(2), 0), 64, 32).Variance, 1e-15);
    }

    private static double Erf(double x)
    {
        // series and continued fraction are overkill here: integrate e^(−t²) from 0 to x by Simpson with 2000 panels
        int n = 2000;
        double h = x / n, sum = 1 + Math.Exp(-x * x);
        for (int i = 1; i < n; i++) sum += (i % 2 == 1 ? 4 : 2) * Math.Exp(-(i * h) * (i * h));
        return 2 / Math.Sqrt(Math.PI) * sum * h / 3;
    }
}
