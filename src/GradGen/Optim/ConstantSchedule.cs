namespace GradGen.Optim;

/// <summary>The base learning rate at every step (no schedule).</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    /// <inheritdoc />
    public double LearningRate(int step, double baseLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return baseLearningRate;
    }
}
