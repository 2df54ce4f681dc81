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
public sealed class Adam<T>(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double epsilon = 1e-8, double weightDecay = 0)
    : AdamBase<T>(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected override bool Decoupled => false;
}
