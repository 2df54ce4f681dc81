namespace GradGen.Optim;

/// <summary>
/// Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> steps: PyTorch's <c>StepLR</c>,
/// <c>lr(t) = base · γ^⌊t / stepSize⌋</c>.
/// </summary>
/// <remarks>PyTorch's <c>StepLR.step()</c> multiplies the previous rate by γ at each boundary, which can differ from
/// this closed form in the last bit after many boundaries.</remarks>
public sealed class StepDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule. <paramref name="stepSize"/> &gt; 0; <paramref name="gamma"/> finite and ≥ 0.</summary>
    public StepDecay(int stepSize, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        if (!double.IsFinite(gamma) || gamma < 0)
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be finite and ≥ 0.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>The number of steps between two decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public double LearningRate(int step, double baseLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return baseLearningRate * Math.Pow(Gamma, step / StepSize);
    }
}
