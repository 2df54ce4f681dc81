using System.Numerics;
using System.Numerics.Tensors;
using GradGen.Optim;

namespace GradGen;

/// <summary>A network with a loss: <typeparamref name="TTarget"/> is int (class indices) for softmax cross-entropy and
/// <typeparamref name="T"/> (one target per output) for MSE and BCE. Training is one call, <see cref="TrainStep"/>,
/// or its parts: <see cref="ComputeGradients"/>, then inspect or change <see cref="Network{T}.Gradients"/>, then
/// <see cref="ApplyUpdate"/>. Gradients accumulate until <see cref="Network{T}.ZeroGradients"/>, as in PyTorch, so
/// several batches can be accumulated before one update.</summary>
public abstract class Network<T, TTarget> : Network<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TTarget : unmanaged
{
    private bool _hasLossGradient;

    /// <summary>Allocates the arena. Called by generated constructors.</summary>
    protected Network(int maxBatch, long arenaLength, ParameterInfo[] parameters) : base(maxBatch, arenaLength, parameters) { }

    /// <summary>Targets per sample: 1 class index, or one value per output.</summary>
    protected abstract int TargetsPerSample { get; }

    /// <summary>The loss of the last forward pass (mean over the batch). Does not touch gradients.</summary>
    /// <remarks>Not called Loss: inside a network class that name must keep meaning the GradGen.Loss enum, which the
    /// [Network(Loss = Loss.…)] attribute names.</remarks>
    public T LossOfOutput(ReadOnlySpan<TTarget> targets) => LossCore(CheckTargets(targets), BatchSize, withGradient: false);

    /// <summary>The loss of the last forward pass, also keeping d loss / d output for <see cref="Backward"/>.</summary>
    public T ComputeLoss(ReadOnlySpan<TTarget> targets)
    {
        T loss = LossCore(CheckTargets(targets), BatchSize, withGradient: true);
        _hasLossGradient = true;
        return loss;
    }

    /// <summary>Back-propagates the last <see cref="ComputeLoss"/>, adding into <see cref="Network{T}.Gradients"/>.</summary>
    public void Backward()
    {
        if (!_hasLossGradient)
            throw new InvalidOperationException("Backward needs ComputeLoss after the last Forward: there is no loss gradient to propagate");
        BackwardCore(BatchSize);
        _hasLossGradient = false;
    }

    /// <summary>Forward, loss and backward on one batch; the gradients of its mean loss are added to
    /// <see cref="Network{T}.Gradients"/>. Returns the loss.</summary>
    public T ComputeGradients(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        Forward(input);
        T loss = ComputeLoss(targets);
        Backward();
        return loss;
    }

    /// <summary>Forward and loss without gradients.</summary>
    public T Evaluate(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        Forward(input);
        return LossOfOutput(targets);
    }

    /// <summary>One training step: zero the gradients, compute them on the batch, update the parameters.
    /// Returns the loss before the update. Allocates nothing.</summary>
    public T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, Optimizer<T> optimizer)
    {
        ZeroGradients();
        T loss = ComputeGradients(input, targets);
        ApplyUpdate(optimizer);
        return loss;
    }

    /// <summary>Lets <paramref name="optimizer"/> update the parameters from the current gradients, after checking that
    /// every gradient is finite: a NaN or infinity throws <see cref="NonFiniteGradientException"/> naming the parameter,
    /// before any weight changes.</summary>
    public void ApplyUpdate(Optimizer<T> optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ReadOnlySpan<T> gradients = Gradients;
        int bad = FirstNonFinite(gradients);
        if (bad >= 0) ThrowNonFinite(bad, double.CreateTruncating(gradients[bad]));
        optimizer.Step(Parameters, gradients);
    }

    // Kept out of ApplyUpdate: a lambda capturing a local there would allocate its closure on every call.
    private void ThrowNonFinite(int index, double value)
    {
        var p = ParameterTable.First(q => index >= q.Offset && index < q.Offset + q.Length);
        throw new NonFiniteGradientException(p.Name, index - p.Offset, value);
    }

    private static int FirstNonFinite(ReadOnlySpan<T> values)
    {
        // TensorPrimitives.IsFiniteAll is vectorised at every width; only a failing check searches for the element.
        if (TensorPrimitives.IsFiniteAll(values)) return -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i])) return i;
        }
        return -1;
    }

    private ReadOnlySpan<TTarget> CheckTargets(ReadOnlySpan<TTarget> targets)
    {
        if (BatchSize == 0) throw new InvalidOperationException("Run Forward before computing a loss");
        int expected = BatchSize * TargetsPerSample;
        if (targets.Length != expected)
            throw new ArgumentException($"The last forward pass had {BatchSize} samples, so the loss needs {expected} targets, but got {targets.Length}", nameof(targets));
        return targets;
    }

    private protected override void OnForward() => _hasLossGradient = false;

    /// <summary>The generated loss: mean over the batch; with <paramref name="withGradient"/>, d loss / d output is
    /// written into the output's gradient buffer.</summary>
    protected abstract T LossCore(ReadOnlySpan<TTarget> targets, int B, bool withGradient);

    /// <summary>The generated backward pass, layers in reverse order.</summary>
    protected abstract void BackwardCore(int B);
}

/// <summary>A gradient was NaN or infinite, so the update was refused and the parameters were left as they were.</summary>
public sealed class NonFiniteGradientException(string parameter, int index, double value)
    : Exception($"The gradient of '{parameter}' is {value} at element {index}; the update was not applied, so the parameters are unchanged. Lower the learning rate, clip the gradients, or check the input for NaN.")
{
    /// <summary>The parameter whose gradient is not finite.</summary>
    public string Parameter { get; } = parameter;
    /// <summary>The element (row-major) within that parameter.</summary>
    public int Index { get; } = index;
}
