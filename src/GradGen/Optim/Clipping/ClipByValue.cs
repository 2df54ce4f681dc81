using System.Numerics;

namespace GradGen.Optim;

/// <summary>Clamps every gradient into [−clip_value, clip_value]: <c>torch.nn.utils.clip_grad_value_(model.parameters(),
/// clip_value)</c>. NaN stays NaN. <see cref="Clip"/> returns the largest |g| before clamping (NaN if a gradient is NaN).</summary>
public sealed class ClipByValue<T> : IGradientClipper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Clamps to ±<paramref name="clipValue"/>, finite and ≥ 0.</summary>
    public ClipByValue(double clipValue)
    {
        GradientClipping.RequireFiniteNonNegative(clipValue, nameof(clipValue));
        ClipValue = clipValue;
    }

    /// <summary>The largest |g| kept.</summary>
    public double ClipValue { get; }

    /// <inheritdoc />
    /// <returns>max |g| before clamping: the ∞-norm.</returns>
    public double Clip(Span<T> gradients, IReadOnlyList<ParameterInfo> parameters) => GradientClipping.ClipGradValue(gradients, ClipValue);
}
