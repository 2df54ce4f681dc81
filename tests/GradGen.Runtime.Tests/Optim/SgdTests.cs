using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

public class SgdTests
{
    [Theory]
    [InlineData(0.0, 0.0, false, 0.0)]
    [InlineData(0.0, 0.0, false, 0.05)]
    [InlineData(0.9, 0.0, false, 0.0)]
    [InlineData(0.9, 0.3, false, 0.01)]
    [InlineData(0.9, 0.0, true, 0.0)]
    [InlineData(0.8, 0.0, true, 0.02)]
    public void MatchesPyTorchFormulaOverFiveSteps(double momentum, double dampening, bool nesterov, double weightDecay)
    {
        const int n = 1037;   // a vector body and a scalar tail
        const double lr = 0.05;
        var rng = new Rng(11);
        double[] expected = Numeric.RandomArray(ref rng, n);
        double[] actual = (double[])expected.Clone();
        double[]? buffer = null;
        var sgd = new Sgd<double>(n, lr, momentum, dampening, nesterov, weightDecay);
        for (int step = 0; step < 5; step++)
        {
            double[] grad = Numeric.RandomArray(ref rng, n);
            TorchReference.Sgd(expected, grad, ref buffer, lr, momentum, dampening, nesterov, weightDecay);
            sgd.Step(actual, grad);
            Numeric.AssertClose(actual, expected, 1e-14);
        }
        Assert.Equal(5, sgd.StepCount);
    }

    [Fact]
    public void PlainStepIsParameterMinusLearningRateTimesGradient()
    {
        var sgd = new Sgd<double>(3, learningRate: 0.5);
        double[] p = [1, -2, 3];
        sgd.Step(p, [0.5, 1, -4]);
        Assert.Equal([0.75, -2.5, 5], p);
    }

    [Fact]
    public void WeightDecayIsAddedToTheGradient()
    {
        var sgd = new Sgd<double>(1, learningRate: 0.5, weightDecay: 0.1);
        double[] p = [2];
        sgd.Step(p, [0.0]);
        Assert.Equal(1.9, p[0], 15);   // 2 − 0.5·(0 + 0.1·2)
    }

    [Fact]
    public void MomentumTwoStepsByHand()
    {
        // buf₁ = g = 0.5, p₁ = 1 − 0.1·0.5 = 0.95; buf₂ = 0.9·0.5 + 0.5 = 0.95, p₂ = 0.95 − 0.1·0.95 = 0.855.
        var sgd = new Sgd<double>(1, learningRate: 0.1, momentum: 0.9);
        double[] p = [1];
        sgd.Step(p, [0.5]);
        Assert.Equal(0.95, p[0], 15);
        Assert.Equal(0.5, sgd.MomentumBuffer[0]);
        sgd.Step(p, [0.5]);
        Assert.Equal(0.95, sgd.MomentumBuffer[0], 15);
        Assert.Equal(0.855, p[0], 15);
    }

    [Fact]
    public void NesterovTwoStepsByHand()
    {
        // buf₁ = 0.5, g' = 0.5 + 0.9·0.5 = 0.95, p₁ = 1 − 0.095 = 0.905;
        // buf₂ = 0.95, g' = 0.5 + 0.9·0.95 = 1.355, p₂ = 0.905 − 0.1355 = 0.7695.
        var sgd = new Sgd<double>(1, learningRate: 0.1, momentum: 0.9, nesterov: true);
        double[] p = [1];
        sgd.Step(p, [0.5]);
        Assert.Equal(0.905, p[0], 15);
        sgd.Step(p, [0.5]);
        Assert.Equal(0.7695, p[0], 15);
    }

    [Fact]
    public void DampeningDoesNotApplyToTheFirstStep()
    {
        // As PyTorch: the buffer starts as a clone of the gradient, undamped.
        var sgd = new Sgd<double>(1, learningRate: 1, momentum: 0.5, dampening: 0.5);
        double[] p = [0];
        sgd.Step(p, [1.0]);
        Assert.Equal(-1, p[0]);
        sgd.Step(p, [1.0]);           // buf = 0.5·1 + 0.5·1 = 1
        Assert.Equal(-2, p[0]);
    }

    [Fact]
    public void NesterovRequiresMomentumAndNoDampening()
    {
        Assert.Throws<ArgumentException>(() => new Sgd<double>(4, 0.1, momentum: 0, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd<double>(4, 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        _ = new Sgd<double>(4, 0.1, momentum: 0.9, nesterov: true);
    }

    [Fact]
    public void RejectsBadHyperParameters()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(4, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(4, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(4, 0.1, momentum: -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(4, 0.1, dampening: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(4, 0.1, weightDecay: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<double>(-1, 0.1));
    }
}
