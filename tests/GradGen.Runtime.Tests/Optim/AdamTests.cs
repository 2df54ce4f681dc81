using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

public class AdamTests
{
    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 0.0)]
    [InlineData(1e-2, 0.9, 0.999, 1e-8, 0.05)]
    [InlineData(3e-2, 0.6, 0.95, 1e-6, 0.0)]    // 1 − β₁ ≥ 0.5: ATen's second lerp form
    [InlineData(1e-2, 0.0, 0.5, 1e-3, 0.1)]
    public void AdamMatchesPyTorchFormulaOverFiveSteps(double lr, double beta1, double beta2, double eps, double weightDecay) =>
        CompareWithReference(decoupled: false, lr, beta1, beta2, eps, weightDecay);

    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 1e-2)]
    [InlineData(1e-2, 0.9, 0.999, 1e-8, 0.1)]
    [InlineData(3e-2, 0.6, 0.95, 1e-6, 0.0)]
    public void AdamWMatchesPyTorchFormulaOverFiveSteps(double lr, double beta1, double beta2, double eps, double weightDecay) =>
        CompareWithReference(decoupled: true, lr, beta1, beta2, eps, weightDecay);

    private static void CompareWithReference(bool decoupled, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        const int n = 1037;
        var rng = new Rng(5);
        double[] expected = Numeric.RandomArray(ref rng, n);
        double[] actual = (double[])expected.Clone();
        double[] m = new double[n], v = new double[n];
        Optimizer<double> adam = decoupled
            ? new AdamW<double>(n, lr, beta1, beta2, eps, weightDecay)
            : new Adam<double>(n, lr, beta1, beta2, eps, weightDecay);
        for (int step = 1; step <= 5; step++)
        {
            double[] grad = Numeric.RandomArray(ref rng, n, -2, 2);
            TorchReference.Adam(expected, grad, m, v, step, lr, beta1, beta2, eps, weightDecay, decoupled);
            adam.Step(actual, grad);
            Numeric.AssertClose(actual, expected, 1e-14);
        }
    }

    [Fact]
    public void FirstAdamStepMovesEachParameterByAboutTheLearningRateAgainstTheGradient()
    {
        // After one step m̂ = g and v̂ = g², so Δp = −lr·g/(|g| + eps) ≈ −lr·sign(g).
        const double lr = 0.01;
        var adam = new Adam<double>(4, lr);
        double[] p = [1, 1, 1, 1];
        double[] g = [3, -0.2, 1e-3, -50];
        adam.Step(p, g);
        for (int i = 0; i < 4; i++)
        {
            double expected = 1 - lr * g[i] / (Math.Abs(g[i]) + 1e-8);
            Assert.Equal(expected, p[i], 12);
            Assert.Equal(1 - lr * Math.Sign(g[i]), p[i], 6);
        }
        Assert.Equal(0.1 * 3, adam.FirstMoment[0], 15);
        Assert.Equal(0.001 * 9, adam.SecondMoment[0], 15);
    }

    [Fact]
    public void FirstAdamWStepDecaysThenMoves()
    {
        const double lr = 0.01, wd = 0.5;
        var adamW = new AdamW<double>(2, lr, weightDecay: wd);
        double[] p = [2, -4];
        adamW.Step(p, [1.0, -1.0]);
        Assert.Equal(2 * (1 - lr * wd) - lr, p[0], 9);
        Assert.Equal(-4 * (1 - lr * wd) + lr, p[1], 9);
    }

    [Fact]
    public void AdamWeightDecayEntersTheGradientNotTheParameter()
    {
        // g = 0, p = 2, wd = 0.5: the L2 gradient is 1, so Adam moves by ≈ −lr.
        var adam = new Adam<double>(1, 0.01, weightDecay: 0.5);
        double[] p = [2];
        adam.Step(p, [0.0]);
        Assert.Equal(2 - 0.01, p[0], 9);
    }

    [Fact]
    public void RejectsBadHyperParameters()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(4, beta1: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(4, beta1: -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(4, beta2: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(4, epsilon: -1e-8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam<double>(4, weightDecay: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>(4, learningRate: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>(4, beta2: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW<double>(4, weightDecay: double.PositiveInfinity));
    }

    [Fact]
    public void DefaultsArePyTorchs()
    {
        var adam = new Adam<float>(1);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 0.0), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.WeightDecay));
        var adamW = new AdamW<float>(1);
        Assert.Equal((1e-3, 0.9, 0.999, 1e-8, 1e-2), (adamW.LearningRate, adamW.Beta1, adamW.Beta2, adamW.Epsilon, adamW.WeightDecay));
    }
}
