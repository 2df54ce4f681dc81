using System.Numerics;

namespace GradGen.Optim;

/// <summary>
/// Adam with decoupled weight decay: <c>torch.optim.AdamW</c> (single-tensor path,
/// <c>amsgrad=False</c>, <c>maximize=False</c>); the same as <c>torch.optim.Adam(decoupled_weight_decay=True)</c>.
/// </summary>
/// <remarks>
/// For the t-th update (t = <see cref="Optimizer{T}.StepCount"/> + 1), per element:
/// <code>
/// p = p·(1 − lr·wd)               if wd ≠ 0 (before anything else)
/// m = lerp(m, g, 1 − β₁)          (= β₁·m + (1 − β₁)·g)
/// v = β₂·v + (1 − β₂)·g²
/// p = p − lr/(1 − β₁ᵗ) · m / (sqrt(v)/sqrt(1 − β₂ᵗ) + eps)
/// </code>
/// See <see cref="AdamKernel{T}"/> for the exact grouping of the floating-point operations.
/// </remarks>
public sealed class AdamW<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _firstMoment;
    private readonly T[] _secondMoment;

    /// <summary>Creates an AdamW optimizer. 0 ≤ β₁, β₂ &lt; 1; learning rate, epsilon and weight decay finite and ≥ 0.</summary>
    public AdamW(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 1e-2)
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
        _firstMoment = new T[parameterCount];
        _secondMoment = new T[parameterCount];
    }

    /// <summary>The decay rate of the first-moment (mean) estimate.</summary>
    public double Beta1 { get; }

    /// <summary>The decay rate of the second-moment (uncentred variance) estimate.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the bias-corrected root of the second moment, for numerical stability.</summary>
    public double Epsilon { get; }

    /// <summary>The decoupled weight decay: each update first multiplies the parameters by 1 − lr·weight_decay, where lr is that update's (scheduled) learning rate.</summary>
    public double WeightDecay { get; }

    /// <summary>PyTorch's <c>exp_avg</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> FirstMoment => _firstMoment;

    /// <summary>PyTorch's <c>exp_avg_sq</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> SecondMoment => _secondMoment;

    /// <inheritdoc />
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step)
    {
        var c = AdamKernel<T>.CreateCoefficients(learningRate, Beta1, Beta2, Epsilon, WeightDecay, decoupled: true, step);
        if (Vectorize) AdamKernel<T>.UpdateVectorized(parameters, gradients, _firstMoment, _secondMoment, c);
        else AdamKernel<T>.UpdateScalar(parameters, gradients, _firstMoment, _secondMoment, c);
    }

    /// <inheritdoc />
    protected override void ResetState()
    {
        Array.Clear(_firstMoment);
        Array.Clear(_secondMoment);
    }
}
