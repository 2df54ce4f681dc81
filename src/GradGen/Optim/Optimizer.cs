using System.Numerics;
using GradGen.Monitoring;

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
    private T[]? _parametersBeforeUpdate; // UpdateWithSums' fallback only

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
        double learningRate = CheckStep(parameters, gradients);
        Update(parameters, gradients, learningRate, StepCount + 1);
        StepCount++;
    }

    /// <summary><see cref="Step"/>, also writing Σg², Σw² (before the update) and Σ(Δw)² of
    /// every tensor of <paramref name="tensors"/> into <paramref name="sums"/>: a network's sampled step. The tensors
    /// must tile the parameters in order, as a network's <see cref="Network{T}.ParameterTable"/> does.</summary>
    internal void StepWithSums(Span<T> parameters, ReadOnlySpan<T> gradients, IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
    {
        double learningRate = CheckStep(parameters, gradients);
        CheckTiling(tensors, sums.Length);
        UpdateWithSums(parameters, gradients, learningRate, StepCount + 1, tensors, sums);
        StepCount++;
    }

    /// <summary><see cref="Step"/> in the parts of <paramref name="split"/>, each on the thread
    /// that computed those gradients (a data-parallel step whose first layer is split by units). The same update, to the
    /// bit, as <see cref="Step"/>; an optimizer written outside GradGen runs its own <see cref="Update"/>.</summary>
    internal void StepSplit(Span<T> parameters, ReadOnlySpan<T> gradients, ParameterSplit split)
    {
        double learningRate = CheckStep(parameters, gradients);
        if (split.Count != ParameterCount) throw new ArgumentException($"The split covers {split.Count} parameters, not {ParameterCount}.", nameof(split));
        UpdateSplit(parameters, gradients, learningRate, StepCount + 1, split);
        StepCount++;
    }

    /// <summary><see cref="Update"/> in the parts of <paramref name="split"/>; SGD and Adam override it.</summary>
    private protected virtual void UpdateSplit(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step, ParameterSplit split)
        => Update(parameters, gradients, learningRate, step);

    /// <summary>Checks the spans' lengths and the learning rate the schedule gives for this step, and returns that rate.</summary>
    private double CheckStep(Span<T> parameters, ReadOnlySpan<T> gradients)
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
        return learningRate;
    }

    private void CheckTiling(IReadOnlyList<ParameterInfo> tensors, int sumsLength)
    {
        if (sumsLength != tensors.Count)
            throw new ArgumentException($"{tensors.Count} tensors need as many sums, but got {sumsLength}.", "sums");
        int end = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            if (tensors[t].Offset != end || tensors[t].Length < 0)
                throw new ArgumentException($"The tensors must tile the parameters in order: {tensors[t]} starts at {tensors[t].Offset}, not {end}.", nameof(tensors));
            end += tensors[t].Length;
        }
        if (end != ParameterCount)
            throw new ArgumentException($"The tensors cover {end} of the optimizer's {ParameterCount} parameters.", nameof(tensors));
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

    /// <summary><see cref="Update"/> that also writes each tensor's <see cref="UpdateSums"/>. SGD and Adam accumulate
    /// them inside their update loop (<see cref="FusedUpdate"/>). This fallback, for an optimizer written outside
    /// GradGen, copies the parameters before <see cref="Update"/> and reads the three arrays once afterwards.</summary>
    private protected virtual void UpdateWithSums(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step,
        IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
    {
        _parametersBeforeUpdate ??= new T[ParameterCount]; // once, at the first sampled step
        parameters.CopyTo(_parametersBeforeUpdate);
        Update(parameters, gradients, learningRate, step);
        for (int t = 0; t < tensors.Count; t++)
        {
            var (offset, length) = (tensors[t].Offset, tensors[t].Length);
            var (weights, updates, grads) = StatisticsKernels.ParameterSumsOfSquares<T>(_parametersBeforeUpdate.AsSpan(offset, length),
                parameters.Slice(offset, length), gradients.Slice(offset, length));
            sums[t] = new UpdateSums { Gradients = grads, Weights = weights, Updates = updates };
        }
    }

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
