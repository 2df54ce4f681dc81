namespace GradGen.Optim;

/// <summary>
/// Ramps the rate linearly from <c>startFactor·base</c> to <c>base</c> over <see cref="WarmupSteps"/> steps
/// (PyTorch's <c>LinearLR</c> with <c>end_factor=1</c>), then follows <see cref="After"/> shifted by the warm-up
/// (as PyTorch's <c>SequentialLR</c> with one milestone at <see cref="WarmupSteps"/>), or stays at base if there is none.
/// </summary>
/// <remarks>
/// <code>
/// t &lt; W:  lr(t) = base · (startFactor + (1 − startFactor)·t / W)      (LinearLR's closed form)
/// t ≥ W:  lr(t) = After.LearningRate(t − W, base)                    (base if After is null)
/// </code>
/// Every schedule here starts at its base rate at step 0, so the rate is continuous at t = W.
/// The default start factor is PyTorch's, 1/3.
/// </remarks>
public sealed class LinearWarmup : ILearningRateSchedule
{
    /// <summary>Creates the schedule. <paramref name="warmupSteps"/> ≥ 0 (0: no warm-up);
    /// 0 &lt; <paramref name="startFactor"/> ≤ 1, as PyTorch's <c>LinearLR</c> requires.</summary>
    public LinearWarmup(int warmupSteps, ILearningRateSchedule? after = null, double startFactor = 1.0 / 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "The start factor must be in (0, 1].");
        WarmupSteps = warmupSteps;
        After = after;
        StartFactor = startFactor;
    }

    /// <summary>W: the number of warm-up steps.</summary>
    public int WarmupSteps { get; }

    /// <summary>The schedule followed after the warm-up, evaluated at <c>step − WarmupSteps</c>.</summary>
    public ILearningRateSchedule? After { get; }

    /// <summary>The fraction of the base rate used at step 0.</summary>
    public double StartFactor { get; }

    /// <inheritdoc />
    public double LearningRate(int step, double baseLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return baseLearningRate * (StartFactor + (1 - StartFactor) * step / WarmupSteps);
        return After?.LearningRate(step - WarmupSteps, baseLearningRate) ?? baseLearningRate;
    }
}
