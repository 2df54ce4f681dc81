using GradGen.Optim;

namespace GradGen.Runtime.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void ConstantIsTheBaseRate()
    {
        var schedule = new ConstantSchedule();
        Assert.Equal(0.3, schedule.LearningRate(0, 0.3));
        Assert.Equal(0.3, schedule.LearningRate(1_000_000, 0.3));
    }

    [Theory]
    [InlineData(0, 0.1)]      // lr · γ^⌊t/3⌋
    [InlineData(1, 0.1)]
    [InlineData(2, 0.1)]      // stepSize − 1
    [InlineData(3, 0.05)]     // stepSize
    [InlineData(5, 0.05)]
    [InlineData(6, 0.025)]
    [InlineData(31, 0.1 / 1024)]
    public void StepDecayIsStepLRsClosedForm(int step, double expected) =>
        Assert.Equal(expected, new StepDecay(3, 0.5).LearningRate(step, 0.1), 15);

    [Fact]
    public void StepDecayDefaultGammaIsPyTorchs() => Assert.Equal(0.1, new StepDecay(10).Gamma);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]     // T_max / 2
    [InlineData(9)]
    [InlineData(10)]    // T_max
    [InlineData(11)]    // beyond: stays at η_min (PyTorch would rise again)
    [InlineData(1000)]
    public void CosineAnnealingIsCosineAnnealingLRsClosedFormThenFlat(int step)
    {
        const double baseRate = 0.1, min = 0.01;
        const int maxSteps = 10;
        double expected = step >= maxSteps ? min : min + (baseRate - min) * (1 + Math.Cos(Math.PI * step / maxSteps)) / 2;
        double actual = new CosineAnnealing(maxSteps, min).LearningRate(step, baseRate);
        Assert.Equal(expected, actual, 15);
    }

    [Fact]
    public void CosineAnnealingKeyValues()
    {
        var schedule = new CosineAnnealing(10, 0.01);
        Assert.Equal(0.1, schedule.LearningRate(0, 0.1), 15);
        Assert.Equal(0.055, schedule.LearningRate(5, 0.1), 15);
        Assert.Equal(0.01, schedule.LearningRate(10, 0.1), 15);
        Assert.Equal(0.01, schedule.LearningRate(20, 0.1), 15);   // PyTorch's closed form would give 0.1 here
        Assert.Equal(0.0, new CosineAnnealing(4).LearningRate(4, 1.0), 15);
    }

    [Theory]
    [InlineData(0, 0.25)]       // startFactor
    [InlineData(1, 0.4375)]     // 0.25 + 0.75·1/4
    [InlineData(3, 0.8125)]     // warmupSteps − 1
    [InlineData(4, 1.0)]        // after(0) = base
    [InlineData(5, 1.0)]        // after(1)
    [InlineData(6, 0.1)]        // after(2) = base·γ
    [InlineData(12, 1e-4)]      // after(8) = γ^4
    public void LinearWarmupRampsThenFollowsTheShiftedSchedule(int step, double expected)
    {
        var schedule = new LinearWarmup(4, new StepDecay(2, 0.1), startFactor: 0.25);
        Assert.Equal(expected, schedule.LearningRate(step, 1.0), 15);
        Assert.True(Math.Abs(expected - schedule.LearningRate(step, 1.0)) <= 1e-15 * expected);
    }

    [Fact]
    public void LinearWarmupIsLinearLRsClosedForm()
    {
        // base·(start + (1 − start)·min(W, t)/W), and with no following schedule the base rate afterwards.
        var schedule = new LinearWarmup(7);
        Assert.Equal(1.0 / 3, schedule.StartFactor);
        for (int t = 0; t <= 12; t++)
        {
            double expected = 0.2 * (1.0 / 3 + (1 - 1.0 / 3) * Math.Min(7, t) / 7);
            Assert.Equal(expected, schedule.LearningRate(t, 0.2), 15);
        }
    }

    [Fact]
    public void ZeroWarmupIsTheFollowingSchedule()
    {
        var after = new CosineAnnealing(8, 0.001);
        var schedule = new LinearWarmup(0, after);
        for (int t = 0; t < 12; t++) Assert.Equal(after.LearningRate(t, 0.1), schedule.LearningRate(t, 0.1));
    }

    [Fact]
    public void ArgumentsAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(3, -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(3, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealing(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealing(10, -1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(5, startFactor: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(5, startFactor: 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(3).LearningRate(-1, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealing(3).LearningRate(-1, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(3).LearningRate(-1, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule().LearningRate(-1, 0.1));
    }
}
