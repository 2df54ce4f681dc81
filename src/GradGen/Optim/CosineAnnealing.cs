namespace GradGen.Optim;

/// <summary>
/// Half a cosine from the base rate down to <see cref="MinLearningRate"/> over <see cref="MaxSteps"/> steps:
/// PyTorch's <c>CosineAnnealingLR</c> closed form, <c>lr(t) = η_min + (base − η_min)·(1 + cos(π·t / T_max)) / 2</c>.
/// </summary>
/// <remarks>
/// For t ≥ T_max the rate stays at η_min. This departs from PyTorch, whose <c>CosineAnnealingLR</c> keeps following
/// the cosine past T_max (the rate rises again, with period 2·T_max); here a run longer than T_max
/// simply finishes at η_min (warm restarts, PyTorch's <c>CosineAnnealingWarmRestarts</c>, are not provided).
/// Up to T_max this is PyTorch's closed form; PyTorch's recursive <c>step()</c> form agrees with it up to rounding.
/// </remarks>
public sealed class CosineAnnealing : ILearningRateSchedule
{
    /// <summary>Creates the schedule. <paramref name="maxSteps"/> &gt; 0; <paramref name="minLearningRate"/> finite and ≥ 0.</summary>
    public CosineAnnealing(int maxSteps, double minLearningRate = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        if (!double.IsFinite(minLearningRate) || minLearningRate < 0)
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "The minimum learning rate must be finite and ≥ 0.");
        MaxSteps = maxSteps;
        MinLearningRate = minLearningRate;
    }

    /// <summary>T_max: the step at which the rate reaches <see cref="MinLearningRate"/>.</summary>
    public int MaxSteps { get; }

    /// <summary>η_min: the rate at and after <see cref="MaxSteps"/>.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc />
    public double LearningRate(int step, double baseLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step >= MaxSteps) return MinLearningRate;
        return MinLearningRate + (baseLearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * step / MaxSteps)) / 2;
    }
}
