using System.Numerics.Tensors;
using GradGen.Kernels;

namespace GradGen.Benchmarks.HandWritten;

/// <summary>The same layers on GradGen's own kernels (<see cref="Dense"/>, <see cref="Elementwise"/>,
/// <see cref="Losses"/>), called one operation at a time as an expert would write them by hand, without the fusions
/// the generator's planner makes (docs/architecture.md): the Dense kernel runs without an activation epilogue, the
/// activation and its derivative are passes of their own, every pre-activation is kept, a residual add is an
/// element-wise pass, and a concatenation is copied. The difference from Generated is what those fusions are worth.</summary>
public readonly struct ExpertMath : ILayerMath
{
    public static void Linear(Span<float> z, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        int batch, int inF, int outF) =>
        Dense.Forward<float, Identity>(z, outF, default, x, inF, w, b, default, 0, batch, inF, outF, default);

    public static void LinearBackward(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dz,
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> scratch, int batch, int inF, int outF) =>
        // The kernel takes the gradient of its output (here dz, as the activation is identity) and writes dz = da ⊙ 1
        // to a buffer of its own before the products: that is the scratch.
        Dense.Backward<float, Identity>(dx, inF, false, dw, db, scratch[..(batch * outF)], dz, outF, default, default, outF,
            x, inF, w, batch, inF, outF, default);

    public static void Activate(Activation act, Span<float> a, ReadOnlySpan<float> z) =>
        AddActivate(act, a, default, z, default);

    public static void AddActivate(Activation act, Span<float> a, Span<float> s, ReadOnlySpan<float> x, ReadOnlySpan<float> r)
    {
        int n = x.Length;
        switch (act)
        {
            case Activation.ReLU: Elementwise.Activate<float, ReLU>(a, n, s, x, n, r, n, 1, n, default); break;
            case Activation.Sigmoid: Elementwise.Activate<float, Sigmoid>(a, n, s, x, n, r, n, 1, n, default); break;
            default: Elementwise.Activate<float, Identity>(a, n, s, x, n, r, n, 1, n, default); break;
        }
    }

    public static void ActivateBackward(Activation act, Span<float> dz, ReadOnlySpan<float> da, ReadOnlySpan<float> z,
        ReadOnlySpan<float> a)
    {
        int n = da.Length;
        switch (act)
        {
            case Activation.ReLU: Elementwise.ActivateBackward<float, ReLU>(dz, da, n, z, n, a, n, 1, n, default); break;
            case Activation.Sigmoid: Elementwise.ActivateBackward<float, Sigmoid>(dz, da, n, z, n, a, n, 1, n, default); break;
            default: Elementwise.ActivateBackward<float, Identity>(dz, da, n, z, n, a, n, 1, n, default); break;
        }
    }

    public static void AddTo(Span<float> y, ReadOnlySpan<float> x) =>
        Elementwise.Copy<float>(y, x.Length, x, x.Length, 1, x.Length, accumulate: true);

    public static float MeanSquaredError(Span<float> dOutput, ReadOnlySpan<float> output, ReadOnlySpan<float> target) =>
        Losses.MeanSquaredError<float>(dOutput, output, target, 1, output.Length);

    public static float SoftmaxCrossEntropy(Span<float> dOutput, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        int batch, int classes) =>
        Losses.SoftmaxCrossEntropy<float>(dOutput, logits, labels, batch, classes);

    // GradGen's Sgd keeps per-network state and checks its spans' length against its own; a fused multiply-add over the
    // flat parameters is the same update.
    public static void SgdUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate) =>
        TensorPrimitives.MultiplyAdd(gradients, -learningRate, parameters, parameters);
}
