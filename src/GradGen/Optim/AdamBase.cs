using System.Numerics;
using System.Runtime.CompilerServices;

namespace GradGen.Optim;

/// <summary>What Adam and AdamW share: the moment buffers and the update; they differ only in how weight decay
/// enters (<see cref="Decoupled"/>).</summary>
public abstract class AdamBase<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // Each on a 64-byte boundary, as the parameters and gradients are (AlignedArray).
    private readonly ArraySegment<T> _firstMoment;
    private readonly ArraySegment<T> _secondMoment;

    /// <summary>Validates and stores the hyper-parameters. 0 ≤ β₁, β₂ &lt; 1; learning rate, epsilon and weight decay finite and ≥ 0.</summary>
    private protected AdamBase(int parameterCount, double learningRate, double beta1, double beta2, double epsilon, double weightDecay)
        : base(parameterCount, learningRate)
    {
        RequireUnitInterval(beta1, nameof(beta1));
        RequireUnitInterval(beta2, nameof(beta2));
        RequireNonNegative(epsilon, nameof(epsilon));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _firstMoment = AlignedArray.Segment<T>(parameterCount);
        _secondMoment = AlignedArray.Segment<T>(parameterCount);
    }

    /// <summary>The decay rate of the first-moment (mean) estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the second-moment (uncentred variance) estimate.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected root of the second moment, for numerical stability.</summary>
    public double Epsilon { get; }

    /// <summary>The weight decay: added to the gradient as weight_decay·p by <see cref="Adam{T}"/>; applied to the
    /// parameters as p·(1 − lr·weight_decay), with that update's (scheduled) lr, by <see cref="AdamW{T}"/>.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the weight decay is decoupled from the gradient (AdamW) or added to it (Adam).</summary>
    private protected abstract bool Decoupled { get; }

    /// <summary>PyTorch's <c>exp_avg</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> FirstMoment => _firstMoment;

    /// <summary>PyTorch's <c>exp_avg_sq</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> SecondMoment => _secondMoment;

    /// <inheritdoc />
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step)
    {
        var c = AdamKernel<T>.CreateCoefficients(learningRate, Beta1, Beta2, Epsilon, WeightDecay, Decoupled, step);
        if (Vectorize) AdamKernel<T>.UpdateParallel(parameters, gradients, _firstMoment, _secondMoment, c);
        else AdamKernel<T>.UpdateScalar<WithoutSums>(parameters, gradients, _firstMoment, _secondMoment, c, ref Unsafe.NullRef<UpdateSums>());
    }

    /// <inheritdoc />
    private protected override void UpdateSplit(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step, ParameterSplit split)
    {
        if (!Vectorize)
        {
            Update(parameters, gradients, learningRate, step);
            return;
        }
        var c = AdamKernel<T>.CreateCoefficients(learningRate, Beta1, Beta2, Epsilon, WeightDecay, Decoupled, step);
        AdamKernel<T>.UpdateSplit(parameters, gradients, _firstMoment, _secondMoment, c, split);
    }

    /// <inheritdoc />
    private protected override void UpdateWithSums(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step,
        IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
    {
        var c = AdamKernel<T>.CreateCoefficients(learningRate, Beta1, Beta2, Epsilon, WeightDecay, Decoupled, step);
        AdamKernel<T>.UpdateWithSums(parameters, gradients, _firstMoment, _secondMoment, c, Vectorize, tensors, sums);
    }

    /// <inheritdoc />
    protected override void ResetState()
    {
        _firstMoment.AsSpan().Clear();
        _secondMoment.AsSpan().Clear();
    }
}
