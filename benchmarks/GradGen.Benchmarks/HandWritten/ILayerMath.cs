namespace GradGen.Benchmarks.HandWritten;

/// <summary>The arithmetic a hand-written network is built from. The three hand-written variants share the networks'
/// structure (<see cref="HandWrittenNetwork{TMath}"/> and its subclasses) and differ only here, so they compute the same
/// thing by construction and the benchmark compares the arithmetic:
/// <list type="bullet">
/// <item><see cref="NaiveMath"/>: scalar loops, the floor;</item>
/// <item><see cref="IdiomaticMath"/>: System.Numerics.Tensors' TensorPrimitives, one call per row or per pass;</item>
/// <item><see cref="ExpertMath"/>: GradGen's own kernels, one layer at a time.</item>
/// </list>
/// Every matrix is row-major and contiguous; a flat span of n elements is also a (1, n) matrix.</summary>
public interface ILayerMath
{
    /// <summary>z = x·wᵀ + b, with x (batch, inF), w (outF, inF) as nn.Linear stores it, b (outF), z (batch, outF).</summary>
    static abstract void Linear(Span<float> z, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        int batch, int inF, int outF);

    /// <summary>The backward pass of <see cref="Linear"/>: dw += dzᵀ·x; db += Σ_batch dz; dx = dz·w unless dx is empty.
    /// <paramref name="scratch"/> holds (batch, outF) values the callee may overwrite.</summary>
    static abstract void LinearBackward(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dz,
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> scratch, int batch, int inF, int outF);

    /// <summary>a = act(z), element-wise.</summary>
    static abstract void Activate(Activation act, Span<float> a, ReadOnlySpan<float> z);

    /// <summary>s = x + r; a = act(s): a residual connection.</summary>
    static abstract void AddActivate(Activation act, Span<float> a, Span<float> s, ReadOnlySpan<float> x, ReadOnlySpan<float> r);

    /// <summary>dz = da ⊙ act′(z), where a = act(z) is also given.</summary>
    static abstract void ActivateBackward(Activation act, Span<float> dz, ReadOnlySpan<float> da, ReadOnlySpan<float> z,
        ReadOnlySpan<float> a);

    /// <summary>y += x.</summary>
    static abstract void AddTo(Span<float> y, ReadOnlySpan<float> x);

    /// <summary>nn.MSELoss (mean); dOutput = d loss / d output.</summary>
    static abstract float MeanSquaredError(Span<float> dOutput, ReadOnlySpan<float> output, ReadOnlySpan<float> target);

    /// <summary>nn.CrossEntropyLoss (mean) on logits (batch, classes) with class indices; dOutput = d loss / d logits.</summary>
    static abstract float SoftmaxCrossEntropy(Span<float> dOutput, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        int batch, int classes);

    /// <summary>Plain SGD, as torch.optim.SGD without momentum: p −= lr·g.</summary>
    static abstract void SgdUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate);
}
