using System.Numerics;

namespace GradGen.Optim;

/// <summary>Rescales or clamps a network's gradients in place before the optimizer reads them: PyTorch's
/// <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>, per-layer clipping and AutoClip.</summary>
/// <remarks>
/// A clipper runs between <see cref="Network{T, TTarget}.ComputeGradients"/> and
/// <see cref="Network{T, TTarget}.ApplyUpdate"/>: either called by hand,
/// <c>clipper.Clip(network.Gradients, network.ParameterTable)</c>, or set as <see cref="Network{T, TTarget}.Clipping"/>,
/// which <see cref="Network{T, TTarget}.TrainStep"/> then runs after computing the gradients. Clippers allocate their
/// state when they are made (or, for <see cref="ClipPerLayerByNorm{T}"/>, on the first call with a parameter table) and
/// nothing per step.
/// </remarks>
/// <typeparam name="T">The element type of the gradients (float or double).</typeparam>
public interface IGradientClipper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Clips <paramref name="gradients"/>, laid out as <paramref name="parameters"/> describes (a network's
    /// <see cref="Network{T}.Gradients"/> and <see cref="Network{T}.ParameterTable"/>), in place. Returns the norm the
    /// clipper measured before clipping, as <c>clip_grad_norm_</c> returns the total norm; each clipper says which norm.</summary>
    double Clip(Span<T> gradients, IReadOnlyList<ParameterInfo> parameters);
}
