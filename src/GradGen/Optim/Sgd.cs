using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GradGen.Kernels;

namespace GradGen.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay:
/// <c>torch.optim.SGD</c> (single-tensor path, <c>maximize=False</c>).
/// </summary>
/// <remarks>
/// Per element, in PyTorch's order (<c>_single_tensor_sgd</c>):
/// <code>
/// g = g + weight_decay·p                         if weight_decay ≠ 0      (grad.add(param, alpha=wd))
/// buf = g                                        at the first update      (torch.clone(grad))
/// buf = momentum·buf + (1 − dampening)·g         at later updates         (buf.mul_(m).add_(g, alpha=1−d))
/// g = g + momentum·buf  if nesterov, else g = buf                         (only if momentum ≠ 0)
/// p = p + (−lr)·g                                                         (param.add_(g, alpha=−lr))
/// </code>
/// The momentum buffer is allocated in the constructor only when momentum ≠ 0.
/// </remarks>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ArraySegment<T> _momentumBuffer; // on a 64-byte boundary, as the parameters and gradients are
    private bool _bufferInitialised;

    /// <summary>Creates an SGD optimizer. All hyper-parameters must be finite and ≥ 0; Nesterov momentum
    /// requires momentum &gt; 0 and dampening = 0, as in PyTorch.</summary>
    public Sgd(int parameterCount, double learningRate, double momentum = 0, double dampening = 0,
        bool nesterov = false, double weightDecay = 0)
        : base(parameterCount, learningRate)
    {
        RequireNonNegative(momentum, nameof(momentum));
        RequireNonNegative(dampening, nameof(dampening));
        RequireNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum > 0 and zero dampening.", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _momentumBuffer = AlignedArray.Segment<T>(momentum != 0 ? parameterCount : 0);
    }

    /// <summary>The momentum factor (0: plain SGD).</summary>
    public double Momentum { get; }

    /// <summary>The dampening of the gradient's contribution to the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 penalty coefficient, added to the gradient as weight_decay·p.</summary>
    public double WeightDecay { get; }

    /// <summary>The momentum buffer (empty when momentum is 0), exposed for tests and checkpoints.</summary>
    internal Span<T> MomentumBuffer => _momentumBuffer;

    /// <inheritdoc />
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step)
    {
        var c = CreateCoefficients(learningRate);
        if (Vectorize) UpdateParallel(parameters, gradients, _momentumBuffer, c);
        else UpdateScalar<WithoutSums>(parameters, gradients, _momentumBuffer, c, ref Unsafe.NullRef<UpdateSums>());
        _bufferInitialised = true;
    }

    /// <inheritdoc />
    private protected override unsafe void UpdateSplit(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step, ParameterSplit split)
    {
        if (!Vectorize)
        {
            Update(parameters, gradients, learningRate, step);
            return;
        }
        fixed (T* pp = parameters, pg = gradients, pb = _momentumBuffer.AsSpan())
        {
            var update = new RangeUpdate { P = pp, G = pg, Buffer = pb, Coefficients = CreateCoefficients(learningRate), Vectorize = true };
            FusedUpdate.RunSplit(ref update, split);
        }
        _bufferInitialised = true;
    }

    /// <inheritdoc />
    private protected override unsafe void UpdateWithSums(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate, int step,
        IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
    {
        fixed (T* pp = parameters, pg = gradients, pb = _momentumBuffer.AsSpan())
        {
            var update = new RangeUpdate { P = pp, G = pg, Buffer = pb, Coefficients = CreateCoefficients(learningRate), Vectorize = Vectorize };
            FusedUpdate.Run(ref update, tensors, sums);
        }
        _bufferInitialised = true;
    }

    private Coefficients CreateCoefficients(double learningRate) => new()
    {
        WeightDecay = T.CreateChecked(WeightDecay),
        HasWeightDecay = WeightDecay != 0,
        Momentum = T.CreateChecked(Momentum),
        HasMomentum = Momentum != 0,
        OneMinusDampening = T.CreateChecked(1 - Dampening),
        FirstStep = !_bufferInitialised,
        Nesterov = Nesterov,
        NegativeLearningRate = T.CreateChecked(-learningRate),
    };

    /// <inheritdoc />
    protected override void ResetState()
    {
        _momentumBuffer.AsSpan().Clear();
        _bufferInitialised = false;
    }

    /// <summary>The per-update scalars, already in <typeparamref name="T"/>.</summary>
    internal struct Coefficients
    {
        public T WeightDecay;
        public bool HasWeightDecay;
        public T Momentum;
        public bool HasMomentum;
        public T OneMinusDampening;
        public bool FirstStep;
        public bool Nesterov;
        public T NegativeLearningRate;
    }

    /// <summary>The reference loop: one element at a time, exactly PyTorch's sequence of operations. With
    /// <see cref="WithSums"/> it also adds g², w² and (w′ − w)² of every element into <paramref name="sums"/>, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void UpdateScalar<TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, in Coefficients c, ref UpdateSums sums)
        where TSums : struct, ISumsSwitch
    {
        for (int i = 0; i < p.Length; i++)
        {
            T grad = g[i], param = p[i];
            if (c.HasWeightDecay) grad += c.WeightDecay * param;         // grad.add(param, alpha=wd)
            if (c.HasMomentum)
            {
                T b = c.FirstStep ? grad                                 // torch.clone(grad)
                    : buf[i] * c.Momentum + c.OneMinusDampening * grad;  // buf.mul_(m).add_(grad, alpha=1−d)
                buf[i] = b;
                grad = c.Nesterov ? grad + c.Momentum * b : b;           // grad.add(buf, alpha=m) or buf
            }
            p[i] = param + c.NegativeLearningRate * grad;                // param.add_(grad, alpha=−lr)
            if (TSums.Accumulate) sums.AddSquares(g[i], param, p[i]);
        }
    }

    /// <summary>The vector loop split over up to <see cref="Parallelism.MaxThreads"/> threads by element ranges: every
    /// element takes the same operations on whichever thread, so every thread count gives the same bits.</summary>
    internal static unsafe void UpdateParallel(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, in Coefficients c)
    {
        fixed (T* pp = p, pg = g, pb = buf)
        {
            var update = new RangeUpdate { P = pp, G = pg, Buffer = pb, Coefficients = c, Vectorize = true };
            FusedUpdate.RunPlain(ref update, p.Length, MinElementsPerPart);
        }
    }

    // A part of a parallel update gets at least this many elements (a few microseconds of one core).
    private const int MinElementsPerPart = 32 * 1024;

    /// <summary>The update of the elements [start, end) of pinned arrays: a part of a parallel update, or a chunk of a
    /// sampled step's update (<see cref="FusedUpdate"/>).</summary>
    private unsafe struct RangeUpdate : IRangeUpdate
    {
        public T* P, G, Buffer;
        public Coefficients Coefficients;
        public bool Vectorize;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Run<TSums>(int start, int end, ref UpdateSums sums) where TSums : struct, ISumsSwitch
        {
            var p = new Span<T>(P + start, end - start);
            var g = new ReadOnlySpan<T>(G + start, end - start);
            // Without momentum the buffer is empty (a null pointer): an empty span.
            Span<T> buffer = Buffer == null ? default : new Span<T>(Buffer + start, end - start);
            if (Vectorize) UpdateVectorized<TSums>(p, g, buffer, Coefficients, ref sums);
            else UpdateScalar<TSums>(p, g, buffer, Coefficients, ref sums);
        }
    }

    /// <summary>The SIMD loop at the widest accelerated width: the same operations as <see cref="UpdateScalar"/> on
    /// vector lanes (no fused multiply-add, so every lane rounds as the scalar loop), then the scalar loop for the tail.</summary>
    internal static void UpdateVectorized<TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, in Coefficients c, ref UpdateSums sums)
        where TSums : struct, ISumsSwitch
    {
        if (Simd512<T>.IsAccelerated) UpdateVectorized<Vector512<T>, Simd512<T>, TSums>(p, g, buf, c, ref sums);
        else if (Simd256<T>.IsAccelerated) UpdateVectorized<Vector256<T>, Simd256<T>, TSums>(p, g, buf, c, ref sums);
        else if (Simd128<T>.IsAccelerated) UpdateVectorized<Vector128<T>, Simd128<T>, TSums>(p, g, buf, c, ref sums);
        else UpdateScalar<TSums>(p, g, buf, c, ref sums);
    }

    /// <summary><see cref="UpdateVectorized{TSums}"/> at the width of <typeparamref name="TOps"/>. With
    /// <see cref="WithSums"/>, g², w² and (w′ − w)² are added lane-wise in T over the span (a chunk of at most
    /// <see cref="FusedUpdate.ChunkLength"/> elements), then into <paramref name="sums"/> in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void UpdateVectorized<TVec, TOps, TSums>(Span<T> p, ReadOnlySpan<T> g, Span<T> buf, in Coefficients c, ref UpdateSums sums)
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
        where TSums : struct, ISumsSwitch
    {
        int n = p.Length, width = TOps.Count, k = 0;
        TVec weightDecay = TOps.Create(c.WeightDecay);
        TVec momentum = TOps.Create(c.Momentum);
        TVec oneMinusDampening = TOps.Create(c.OneMinusDampening);
        TVec negativeLearningRate = TOps.Create(c.NegativeLearningRate);
        TVec gradientSquares = TOps.Zero, weightSquares = TOps.Zero, updateSquares = TOps.Zero;
        fixed (T* pp = p, pg = g, pb = buf)
        {
            for (; k <= n - width; k += width)
            {
                TVec param = TOps.Load(pp + k);
                TVec gradient = TOps.Load(pg + k), grad = gradient;
                if (c.HasWeightDecay) grad = TOps.Add(grad, TOps.Multiply(weightDecay, param));
                if (c.HasMomentum)
                {
                    TVec b = c.FirstStep ? grad
                        : TOps.Add(TOps.Multiply(TOps.Load(pb + k), momentum), TOps.Multiply(oneMinusDampening, grad));
                    TOps.Store(b, pb + k);
                    grad = c.Nesterov ? TOps.Add(grad, TOps.Multiply(momentum, b)) : b;
                }
                TVec updated = TOps.Add(param, TOps.Multiply(negativeLearningRate, grad));
                TOps.Store(updated, pp + k);
                if (TSums.Accumulate)
                {
                    TVec delta = TOps.Subtract(updated, param);
                    gradientSquares = TOps.Add(gradientSquares, TOps.Multiply(gradient, gradient));
                    weightSquares = TOps.Add(weightSquares, TOps.Multiply(param, param));
                    updateSquares = TOps.Add(updateSquares, TOps.Multiply(delta, delta));
                }
            }
        }
        if (TSums.Accumulate) sums.AddLanes<TVec, TOps, T>(gradientSquares, weightSquares, updateSquares);
        UpdateScalar<TSums>(p[k..], g[k..], c.HasMomentum ? buf[k..] : default, c, ref sums);
    }
}
