using System.Numerics;

namespace GradGen.Optim;

/// <summary>
/// Updates a network's flat parameter span from its flat gradient span, as one PyTorch optimizer would update
/// <c>model.parameters()</c> (a single parameter group, laid out in the same order).
/// </summary>
/// <remarks>
/// <para>
/// The optimizer's state (momentum buffers, moment estimates) is allocated once in the constructor, with the same
/// length as the parameters. <see cref="Step"/> allocates nothing.
/// </para>
/// <para>
/// Learning rate and schedule follow PyTorch's convention that <c>scheduler.step()</c> is called after
/// <c>optimizer.step()</c>: the k-th update (k = 1, 2, …) uses <c>Schedule.LearningRate(k − 1, LearningRate)</c>,
/// so the first update uses the schedule at step 0. <see cref="CurrentLearningRate"/> is the rate the next
/// <see cref="Step"/> will use, and equals PyTorch's <c>optimizer.param_groups[0]["lr"]</c> after the same number of
/// <c>optimizer.step(); scheduler.step()</c> pairs (up to the rounding of PyTorch's recursive scheduler forms).
/// </para>
/// <para>
/// Hyper-parameters are doubles. Scalar coefficients (lr/(1 − β₁ᵗ), 1 − β₂, …) are computed in double, as
/// PyTorch computes them in Python, and then converted to <typeparamref name="T"/>, as PyTorch converts a Python
/// scalar to the tensor's dtype. The per-element arithmetic then runs in <typeparamref name="T"/>.
/// </para>
/// </remarks>
/// <typeparam name="T">The element type of parameters and gradients (float or double).</typeparam>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private double _learningRate;

    /// <summary>Creates an optimizer for <paramref name="parameterCount"/> parameters.</summary>
    protected Optimizer(int parameterCount, double learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        ParameterCount = parameterCount;
        LearningRate = learningRate;
    }

    /// <summary>The length that <see cref="Step"/> expects of both the parameters and the gradients.</summary>
    public int ParameterCount { get; }

    /// <summary>The number of updates applied since construction or the last <see cref="Reset"/>.
    /// PyTorch's <c>state["step"]</c> (Adam) after the same number of <c>optimizer.step()</c> calls.</summary>
    public int StepCount { get; private set; }

    /// <summary>The base learning rate: the rate used when <see cref="Schedule"/> is null, and the
    /// <c>baseLearningRate</c> passed to the schedule otherwise. Must be finite and ≥ 0.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            if (!double.IsFinite(value) || value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and ≥ 0.");
            _learningRate = value;
        }
    }

    /// <summary>An optional learning-rate schedule. The k-th update (k = 1, 2, …) uses
    /// <c>Schedule.LearningRate(k − 1, LearningRate)</c>, i.e. <c>Schedule.LearningRate(StepCount, LearningRate)</c>
    /// evaluated before the update: PyTorch's order, where <c>scheduler.step()</c> follows <c>optimizer.step()</c>.</summary>
    public ILearningRateSchedule? Schedule { get; set; }

    /// <summary>The learning rate that the next <see cref="Step"/> will use:
    /// <c>Schedule?.LearningRate(StepCount, LearningRate) ?? LearningRate</c>.</summary>
    public double CurrentLearningRate => Schedule?.LearningRate(StepCount, LearningRate) ?? LearningRate;

    /// <summary>Whether <see cref="Update"/> may use SIMD. Both paths perform the same floating-point operations
    /// in the same order for every element, so they give bit-identical results; the switch exists so that tests
    /// can compare them.</summary>
    internal bool Vectorize { get; set; } = true;

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>
    /// (PyTorch's <c>optimizer.step()</c>, with the gradients already in place), then increments
    /// <see cref="StepCount"/>.</summary>
    /// <exception cref="ArgumentException">A span's length is not <see cref="ParameterCount"/>.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        if (parameters.Length != ParameterCount || gradients.Length != ParameterCount)
        {
            throw new ArgumentException(
                $"The optimizer was created for {ParameterCount} parameters, but got parameters.Length = " +
                $"{parameters.Length} and gradients.Length = {gradients.Length}.",
                parameters.Length != ParameterCount ? nameof(parameters) : nameof(gradients));
        }
        double learningRate = CurrentLearningRate;
        if (!double.IsFinite(learningRate) || learningRate < 0)
            throw new InvalidOperationException($"The schedule returned the learning rate {learningRate} at step {StepCount}.");
        Update(parameters, gradients, learningRate, StepCount + 1);
        StepCount++;
    }

    /// <summary>Forgets all state (momentum buffers, moment estimates, <see cref="StepCount"/>), as a freshly
    /// constructed optimizer with the same hyper-parameters. <see cref="LearningRate"/> and
    /// <see cref="Schedule"/> are kept.</summary>
    public void Reset()
    {
        StepCount = 0;
        ResetState();
    }

    /// <summary>Applies one update. <paramref name="step"/> is the 1-based number of this update (PyTorch's
    /// <c>state["step"]</c> after its increment); both spans have length <see cref="ParameterCount"/>.</summary>
    protected abstract void Update(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step);

    /// <summary>Clears the optimizer's buffers.</summary>
    protected abstract void ResetState();

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    private protected static void RequireNonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0.");
    }

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    private protected static void RequireUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1).");
    }
}
