using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GradGen.Kernels;

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

    /// <summary>The reference loop: one element at a time, exactly PyTorch's sequence of operations. With
    /// <see cref="WithSums"/> it also adds g², w² and (w′ − w)² of every element into <paramref name="sums"/>, in double
    /// (w is the parameter as loaded, before AdamW's decay).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void UpdateScalar<TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c, ref UpdateSums sums)
        where TSums : struct, ISumsSwitch
    {
        for (int i = 0; i < p.Length; i++)
        {
            T before = p[i], param = before;
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
            if (TSums.Accumulate) sums.AddSquares(g[i], before, p[i]);
        }
    }

    /// <summary>The vector loop split over up to <see cref="Parallelism.MaxThreads"/> threads by element ranges: every
    /// element takes the same operations on whichever thread, so every thread count gives the same bits.</summary>
    internal static unsafe void UpdateParallel(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c)
    {
        fixed (T* pp = p, pg = g, pm = m, pv = v)
        {
            var update = new RangeUpdate { P = pp, G = pg, M = pm, V = pv, Coefficients = c, Vectorize = true };
            FusedUpdate.RunPlain(ref update, p.Length, MinElementsPerPart);
        }
    }

    /// <summary>The vector loop in the parts of <paramref name="split"/> (<see cref="FusedUpdate.RunSplit"/>).</summary>
    internal static unsafe void UpdateSplit(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c, ParameterSplit split)
    {
        fixed (T* pp = p, pg = g, pm = m, pv = v)
        {
            var update = new RangeUpdate { P = pp, G = pg, M = pm, V = pv, Coefficients = c, Vectorize = true };
            FusedUpdate.RunSplit(ref update, split);
        }
    }

    // A part of a parallel update gets at least this many elements (a few microseconds of one core).
    private const int MinElementsPerPart = 16 * 1024;

    /// <summary>The update of the elements of <paramref name="tensors"/>, writing each tensor's sums (a sampled step).</summary>
    internal static unsafe void UpdateWithSums(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c, bool vectorize,
        IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
    {
        fixed (T* pp = p, pg = g, pm = m, pv = v)
        {
            var update = new RangeUpdate { P = pp, G = pg, M = pm, V = pv, Coefficients = c, Vectorize = vectorize };
            FusedUpdate.Run(ref update, tensors, sums);
        }
    }

    /// <summary>The update of the elements [start, end) of pinned arrays: a part of a parallel update, or a chunk of a
    /// sampled step's update (<see cref="FusedUpdate"/>).</summary>
    private unsafe struct RangeUpdate : IRangeUpdate
    {
        public T* P, G, M, V;
        public Coefficients Coefficients;
        public bool Vectorize;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TSums>(int start, int end, ref UpdateSums sums) where TSums : struct, ISumsSwitch
        {
            int n = end - start;
            Span<T> p = new(P + start, n), m = new(M + start, n), v = new(V + start, n);
            ReadOnlySpan<T> g = new(G + start, n);
            if (Vectorize) UpdateVectorized<TSums>(p, g, m, v, Coefficients, ref sums);
            else UpdateScalar<TSums>(p, g, m, v, Coefficients, ref sums);
        }
    }

    /// <summary>The SIMD loop at the widest accelerated width: the same operations as <see cref="UpdateScalar"/> on
    /// vector lanes (no fused multiply-add, IEEE sqrt and division, so every lane rounds as the scalar loop), then the
    /// scalar loop for the tail.</summary>
    internal static void UpdateVectorized<TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c, ref UpdateSums sums)
        where TSums : struct, ISumsSwitch
    {
        if (Simd512<T>.IsAccelerated) UpdateVectorized<Vector512<T>, Simd512<T>, TSums>(p, g, m, v, c, ref sums);
        else if (Simd256<T>.IsAccelerated) UpdateVectorized<Vector256<T>, Simd256<T>, TSums>(p, g, m, v, c, ref sums);
        else if (Simd128<T>.IsAccelerated) UpdateVectorized<Vector128<T>, Simd128<T>, TSums>(p, g, m, v, c, ref sums);
        else UpdateScalar<TSums>(p, g, m, v, c, ref sums);
    }

    /// <summary><see cref="UpdateVectorized{TSums}"/> at the width of <typeparamref name="TOps"/>. With
    /// <see cref="WithSums"/>, g², w² and (w′ − w)² are added lane-wise in T over the span (a chunk of at most
    /// <see cref="FusedUpdate.ChunkLength"/> elements), then into <paramref name="sums"/> in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void UpdateVectorized<TVec, TOps, TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> m, Span<T> v, in Coefficients c,
        ref UpdateSums sums)
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
        where TSums : struct, ISumsSwitch
    {
        int n = p.Length, width = TOps.Count, k = 0;
        TVec decoupledDecayFactor = TOps.Create(c.DecoupledDecayFactor);
        TVec weightDecay = TOps.Create(c.WeightDecay);
        TVec lerpWeight = TOps.Create(c.LerpWeight);
        TVec oneMinusLerpWeight = TOps.Create(c.OneMinusLerpWeight);
        TVec beta2 = TOps.Create(c.Beta2);
        TVec oneMinusBeta2 = TOps.Create(c.OneMinusBeta2);
        TVec biasCorrection2Sqrt = TOps.Create(c.BiasCorrection2Sqrt);
        TVec epsilon = TOps.Create(c.Epsilon);
        TVec negativeStepSize = TOps.Create(c.NegativeStepSize);
        TVec gradientSquares = TOps.Zero, weightSquares = TOps.Zero, updateSquares = TOps.Zero;
        fixed (T* pp = p, pg = g, pm = m, pv = v)
        {
            for (; k <= n - width; k += width)
            {
                TVec before = TOps.Load(pp + k), param = before;
                if (c.HasDecoupledDecay) param = TOps.Multiply(param, decoupledDecayFactor);
                TVec gradient = TOps.Load(pg + k), grad = gradient;
                if (c.HasL2Decay) grad = TOps.Add(grad, TOps.Multiply(weightDecay, param));

                TVec mean = TOps.Load(pm + k);
                TVec diff = TOps.Subtract(grad, mean);
                mean = c.LerpWeightSmall
                    ? TOps.Add(mean, TOps.Multiply(lerpWeight, diff))
                    : TOps.Subtract(grad, TOps.Multiply(diff, oneMinusLerpWeight));
                TOps.Store(mean, pm + k);

                TVec square = TOps.Multiply(TOps.Load(pv + k), beta2);
                square = TOps.Add(square, TOps.Multiply(TOps.Multiply(oneMinusBeta2, grad), grad));
                TOps.Store(square, pv + k);

                TVec denom = TOps.Add(TOps.Divide(TOps.Sqrt(square), biasCorrection2Sqrt), epsilon);
                TVec updated = TOps.Add(param, TOps.Divide(TOps.Multiply(negativeStepSize, mean), denom));
                TOps.Store(updated, pp + k);
                if (TSums.Accumulate)
                {
                    TVec delta = TOps.Subtract(updated, before);
                    gradientSquares = TOps.Add(gradientSquares, TOps.Multiply(gradient, gradient));
                    weightSquares = TOps.Add(weightSquares, TOps.Multiply(before, before));
                    updateSquares = TOps.Add(updateSquares, TOps.Multiply(delta, delta));
                }
            }
        }
        if (TSums.Accumulate) sums.AddLanes<TVec, TOps, T>(gradientSquares, weightSquares, updateSquares);
        UpdateScalar<TSums>(p[k..], g[k..], m[k..], v[k..], c, ref sums);
    }
}
