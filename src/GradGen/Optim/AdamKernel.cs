using System.Numerics;
using System.Runtime.InteropServices;

namespace GradGen.Optim;

/// <summary>
/// The element-wise update shared by <see cref="Adam{T}"/> and <see cref="AdamW{T}"/>: PyTorch's
/// <c>_single_tensor_adam</c> (non-capturable, non-amsgrad, <c>maximize=False</c>), operation by operation.
/// </summary>
/// <remarks>
/// <code>
/// p = p·(1 − lr·wd)                                     AdamW only            (param.mul_(1 − lr·wd))
/// g = g + wd·p                                          Adam, if wd ≠ 0       (grad.add(param, alpha=wd))
/// m = lerp(m, g, 1 − β₁)                                                      (exp_avg.lerp_(grad, 1 − β₁))
/// v = v·β₂;  v = v + ((1 − β₂)·g)·g                                           (exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1 − β₂))
/// denom = sqrt(v) / sqrt(1 − β₂ᵗ) + eps                                       ((exp_avg_sq.sqrt() / bc2_sqrt).add_(eps))
/// p = p + ((−lr/(1 − β₁ᵗ))·m) / denom                                         (param.addcdiv_(exp_avg, denom, value=−step_size))
/// </code>
/// lerp is ATen's scalar form: <c>w &lt; 0.5 ? m + w·(g − m) : g − (g − m)·(1 − w)</c>.
/// ATen's own AVX kernels contract some of these multiply-adds into FMAs (lerp, add with alpha) while its scalar
/// tail does not, so PyTorch itself is only reproducible to about one rounding per operation; we never fuse.
/// </remarks>
internal static class AdamKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The per-update scalars, computed in double as PyTorch's Python code does, then converted to T.</summary>
    internal struct Coefficients
    {
        public bool HasDecoupledDecay;
        public T DecoupledDecayFactor;   // 1 − lr·wd
        public bool HasL2Decay;
        public T WeightDecay;
        public bool LerpWeightSmall;     // |1 − β₁| < 0.5 picks ATen's first lerp form
        public T LerpWeight;             // 1 − β₁
        public T OneMinusLerpWeight;     // 1 − (1 − β₁), computed in T as ATen does
        public T Beta2;
        public T OneMinusBeta2;
        public T BiasCorrection2Sqrt;    // sqrt(1 − β₂ᵗ)
        public T Epsilon;
        public T NegativeStepSize;       // −lr / (1 − β₁ᵗ)
    }

    /// <summary>Computes the coefficients for the <paramref name="step"/>-th update (1-based).</summary>
    internal static Coefficients CreateCoefficients(double learningRate, double beta1, double beta2, double epsilon,
        double weightDecay, bool decoupled, int step)
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = learningRate / biasCorrection1;
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
        T lerpWeight = T.CreateChecked(1 - beta1);
        return new Coefficients
        {
            HasDecoupledDecay = decoupled && weightDecay != 0,
            DecoupledDecayFactor = T.CreateChecked(1 - learningRate * weightDecay),
            HasL2Decay = !decoupled && weightDecay != 0,
            WeightDecay = T.CreateChecked(weightDecay),
            LerpWeightSmall = T.Abs(lerpWeight) < T.CreateChecked(0.5),
            LerpWeight = lerpWeight,
            OneMinusLerpWeight = T.One - lerpWeight,
            Beta2 = T.CreateChecked(beta2),
            OneMinusBeta2 = T.CreateChecked(1 - beta2),
            BiasCorrection2Sqrt = T.CreateChecked(biasCorrection2Sqrt),
            Epsilon = T.CreateChecked(epsilon),
            NegativeStepSize = T.CreateChecked(-stepSize),
        };
    }

    /// <summary>The reference loop: one element at a time, exactly PyTorch's sequence of operations.</summary>
    internal static void UpdateScalar(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c)
    {
        for (int i = 0; i < p.Length; i++)
        {
            T param = p[i];
            if (c.HasDecoupledDecay) param *= c.DecoupledDecayFactor;   // param.mul_(1 − lr·wd)
            T grad = g[i];
            if (c.HasL2Decay) grad += c.WeightDecay * param;            // grad.add(param, alpha=wd)

            T mean = m[i];                                              // exp_avg.lerp_(grad, 1 − β₁)
            mean = c.LerpWeightSmall
                ? mean + c.LerpWeight * (grad - mean)
                : grad - (grad - mean) * c.OneMinusLerpWeight;
            m[i] = mean;

            T square = v[i] * c.Beta2;                                  // exp_avg_sq.mul_(β₂)
            square += c.OneMinusBeta2 * grad * grad;                    //   .addcmul_(grad, grad, value=1 − β₂)
            v[i] = square;

            T denom = T.Sqrt(square) / c.BiasCorrection2Sqrt + c.Epsilon; // (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
            p[i] = param + c.NegativeStepSize * mean / denom;           // param.addcdiv_(exp_avg, denom, value=−step_size)
        }
    }

    /// <summary>The SIMD loop: the same operations as <see cref="UpdateScalar"/> on <see cref="Vector{T}"/> lanes
    /// (no fused multiply-add, IEEE sqrt and division, so every lane rounds as the scalar loop), then the scalar
    /// loop for the tail.</summary>
    internal static void UpdateVectorized(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c)
    {
        int done = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && p.Length >= Vector<T>.Count)
        {
            Span<Vector<T>> pv = MemoryMarshal.Cast<T, Vector<T>>(p);
            ReadOnlySpan<Vector<T>> gv = MemoryMarshal.Cast<T, Vector<T>>(g);
            Span<Vector<T>> mv = MemoryMarshal.Cast<T, Vector<T>>(m);
            Span<Vector<T>> vv = MemoryMarshal.Cast<T, Vector<T>>(v);
            var decoupledDecayFactor = new Vector<T>(c.DecoupledDecayFactor);
            var weightDecay = new Vector<T>(c.WeightDecay);
            var lerpWeight = new Vector<T>(c.LerpWeight);
            var oneMinusLerpWeight = new Vector<T>(c.OneMinusLerpWeight);
            var beta2 = new Vector<T>(c.Beta2);
            var oneMinusBeta2 = new Vector<T>(c.OneMinusBeta2);
            var biasCorrection2Sqrt = new Vector<T>(c.BiasCorrection2Sqrt);
            var epsilon = new Vector<T>(c.Epsilon);
            var negativeStepSize = new Vector<T>(c.NegativeStepSize);
            for (int k = 0; k < pv.Length; k++)
            {
                Vector<T> param = pv[k];
                if (c.HasDecoupledDecay) param *= decoupledDecayFactor;
                Vector<T> grad = gv[k];
                if (c.HasL2Decay) grad += weightDecay * param;

                Vector<T> mean = mv[k];
                mean = c.LerpWeightSmall
                    ? mean + lerpWeight * (grad - mean)
                    : grad - (grad - mean) * oneMinusLerpWeight;
                mv[k] = mean;

                Vector<T> square = vv[k] * beta2;
                square += oneMinusBeta2 * grad * grad;
                vv[k] = square;

                Vector<T> denom = Vector.SquareRoot(square) / biasCorrection2Sqrt + epsilon;
                pv[k] = param + negativeStepSize * mean / denom;
            }
            done = pv.Length * Vector<T>.Count;
        }
        UpdateScalar(p[done..], g[done..], m[done..], v[done..], c);
    }
}
