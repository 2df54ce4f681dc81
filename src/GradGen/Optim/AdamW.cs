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
public sealed class AdamW<T>(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
    double epsilon = 1e-8, double weightDecay = 1e-2)
    : AdamBase<T>(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private protected override bool Decoupled => true;
}
