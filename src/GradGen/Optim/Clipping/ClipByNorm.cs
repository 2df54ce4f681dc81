using System.Numerics;

namespace GradGen.Optim;

/// <summary>Clips all gradients together by their global norm: <c>torch.nn.utils.clip_grad_norm_(model.parameters(),
/// max_norm, norm_type, error_if_nonfinite)</c>. With <c>total</c> the norm of every gradient of every parameter,
/// each gradient is multiplied by <c>min(max_norm / (total + 1e-6), 1)</c>. <see cref="Clip"/> returns <c>total</c>.</summary>
/// <remarks>See <see cref="GradientClipping.ClipGradNorm{T}"/> for the arithmetic and the non-finite cases.</remarks>
public sealed class ClipByNorm<T> : IGradientClipper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Clips to <paramref name="maxNorm"/> in the <paramref name="normType"/> norm (2 or
    /// <see cref="double.PositiveInfinity"/>); with <paramref name="errorIfNonfinite"/>, a NaN or infinite norm throws
    /// instead of clipping.</summary>
    public ClipByNorm(double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        GradientClipping.RequireFiniteNonNegative(maxNorm, nameof(maxNorm));
        GradientClipping.CheckNormType(normType);
        MaxNorm = maxNorm;
        NormType = normType;
        ErrorIfNonfinite = errorIfNonfinite;
    }

    /// <summary>The largest norm the gradients keep.</summary>
    public double MaxNorm { get; }

    /// <summary>2 (L2) or <see cref="double.PositiveInfinity"/> (largest |g|).</summary>
    public double NormType { get; }

    /// <summary>Whether a NaN or infinite total norm throws (and leaves the gradients unchanged).</summary>
    public bool ErrorIfNonfinite { get; }

    /// <inheritdoc />
    /// <returns>The total norm before clipping.</returns>
    public double Clip(Span<T> gradients, IReadOnlyList<ParameterInfo> parameters)
        => GradientClipping.ClipGradNorm(gradients, MaxNorm, NormType, ErrorIfNonfinite, parameters);
}
