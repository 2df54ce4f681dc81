using System.Numerics;

namespace GradGen.Optim;

/// <summary>
/// Adam with optional L2 weight decay added to the gradient: <c>torch.optim.Adam</c> (single-tensor path,
/// <c>amsgrad=False</c>, <c>maximize=False</c>, <c>decoupled_weight_decay=False</c>).
/// </summary>
/// <remarks>
/// For the t-th update (t = <see cref="Optimizer{T}.StepCount"/> + 1), per element:
/// <code>
/// g = g + wd·p                    if wd ≠ 0
/// m = lerp(m, g, 1 − β₁)          (= β₁·m + (1 − β₁)·g)
/// v = β₂·v + (1 − β₂)·g²
/// p = p − lr/(1 − β₁ᵗ) · m / (sqrt(v)/sqrt(1 − β₂ᵗ) + eps)
/// </code>
/// See <see cref="AdamKernel{T}"/> for the exact grouping of the floating-point operations.
/// </remarks>
public sealed class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _firstMoment;
    private readonly T[] _secondMoment;

    /// <summary>Creates an Adam optimizer. 0 ≤ β₁, β₂ &lt; 1; learning rate, epsilon and weight decay finite and ≥ 0.</summary>
    public Adam(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0)
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

    /// <summary>The L2 penalty coefficient, added to the gradient as weight_decay·p (not decoupled: see <see cref="AdamW{T}"/>).</summary>
    public double WeightDecay { get; }

    /// <summary>PyTorch's <c>exp_avg</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> FirstMoment => _firstMoment;

    /// <summary>PyTorch's <c>exp_avg_sq</c>, exposed for tests and checkpoints.</summary>
    internal Span<T> SecondMoment => _secondMoment;

    /// <inheritdoc />
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step)
    {
        var c = AdamKernel<T>.CreateCoefficients(learningRate, Beta1, Beta2, Epsilon, WeightDecay, decoupled: false, step);
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
