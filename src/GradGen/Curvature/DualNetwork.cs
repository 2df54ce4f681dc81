using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace GradGen.Curvature;

/// <summary>A network's generated passes run over <see cref="Dual"/> numbers: the generator emits one subclass per
/// declaration (a few lines handing a <c>Layers&lt;Dual&gt;</c> its own arena), and <see cref="HessianOperator"/> drives it.
/// With every parameter θᵢ set to the dual number θᵢ + vᵢ·ε, the forward, loss and backward passes compute the gradient
/// g(θ + εv) = g(θ) + ε·H(θ)v exactly (forward-mode differentiation of the reverse-mode gradient): the gradients'
/// values are ∇L and their tangents are the Hessian-vector product Hv.</summary>
/// <remarks>The arena has the float network's layout, [parameters | gradients | buffers | scratch], with two doubles per
/// element. Inputs and targets are constants (tangent 0). Dense layers run as plain SIMD products on value and tangent
/// planes (<see cref="DualDense"/>), in float32 for a float network and float64 for a Float64 one; the other kernels run
/// their scalar reference loops on Dual, since the SIMD kernels do not take it. See docs/hessian.md.</remarks>
public abstract class DualNetwork
{
    private readonly int _inputStart;
    private readonly int _inputSize;
    // The parameters and gradients as planes of the products' precision: ParameterPlanes<float> or <double>.
    private object? _planes;

    /// <summary>Allocates the dual arena. Called by generated constructors.</summary>
    protected DualNetwork(int maxBatch, long arenaLength, int parameterCount, int inputStart, int inputSize, int targetsPerSample)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (arenaLength > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"A batch of {maxBatch} needs {arenaLength} dual numbers, more than one array holds; use a smaller batch");
        MaxBatch = maxBatch;
        ParameterCount = parameterCount;
        TargetsPerSample = targetsPerSample;
        _inputStart = inputStart;
        _inputSize = inputSize;
        Arena = new Dual[arenaLength];
    }

    /// <summary>[parameters | gradients | buffers | scratch], as the network's own arena.</summary>
    protected Dual[] Arena { get; }

    /// <summary>The largest batch the arena holds.</summary>
    public int MaxBatch { get; }

    /// <summary>Scalars in all parameters together: the Hessian's dimension.</summary>
    public int ParameterCount { get; }

    /// <summary>Whether the matrix products run in float32 (a float network's operator) rather than float64.</summary>
    internal bool ProductsInSingle => _planes is ParameterPlanes<float>;

    /// <summary>Samples in the loaded batch.</summary>
    public int BatchSize { get; private set; }

    /// <summary>1 class index per sample, or one target per output.</summary>
    protected int TargetsPerSample { get; }

    /// <summary>The generated forward pass on the first <paramref name="B"/> rows.</summary>
    protected abstract void ForwardCore(int B);

    /// <summary>The generated loss, writing d loss / d output (a dual number) into the output's gradient buffer.</summary>
    protected abstract void LossCore(int B);

    /// <summary>The generated backward pass.</summary>
    protected abstract void BackwardCore(int B);

    /// <summary>Stores the batch's targets for <see cref="LossCore"/>; <typeparamref name="TTarget"/> is int or the network's T.</summary>
    private protected abstract void StoreTargets<T, TTarget>(ReadOnlySpan<TTarget> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged;

    /// <summary>Copies the parameters' values (tangents are set by each product), the batch and its targets.</summary>
    internal void Load<T, TTarget>(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"{parameters.Length} parameters given, the network has {ParameterCount}", nameof(parameters));
        if (input.Length == 0 || input.Length % _inputSize != 0)
            throw new ArgumentException($"The input has {input.Length} values, which is not a whole number (at least 1) of samples of {_inputSize} features", nameof(input));
        int batch = input.Length / _inputSize;
        if (batch > MaxBatch)
            throw new ArgumentException($"The input holds {batch} samples, more than the {MaxBatch} this operator was made for", nameof(input));
        if (targets.Length != batch * TargetsPerSample)
            throw new ArgumentException($"The input holds {batch} samples, so the loss needs {batch * TargetsPerSample} targets, but got {targets.Length}", nameof(targets));
        Span<Dual> arena = Arena;
        for (int i = 0; i < parameters.Length; i++) arena[i] = new Dual(double.CreateTruncating(parameters[i]));
        Span<Dual> x = arena.Slice(_inputStart, input.Length);
        for (int i = 0; i < input.Length; i++) x[i] = new Dual(double.CreateTruncating(input[i]));
        StoreTargets<T, TTarget>(targets);
        BatchSize = batch;
        // A float network's matrix products run in float32, on its training step's kernels; a Float64 network's in float64.
        _planes = typeof(T) == typeof(float)
            ? new ParameterPlanes<float>(Arena, ParameterCount, _inputStart, input.Length)
            : new ParameterPlanes<double>(Arena, ParameterCount, _inputStart, input.Length);
    }

    /// <summary>hv = H·v for the mean loss on the loaded batch, by one forward, loss and backward pass over dual numbers
    /// (which also compute ∇L: <see cref="ReadGradient"/>).</summary>
    internal void Multiply(ReadOnlySpan<double> v, Span<double> hv)
    {
        if (BatchSize == 0) throw new InvalidOperationException("Load a batch before multiplying");
        if (_planes is ParameterPlanes<float> single) Multiply(single, v, hv);
        else Multiply((ParameterPlanes<double>)_planes!, v, hv);
    }

    private void Multiply<TPlane>(ParameterPlanes<TPlane> planes, ReadOnlySpan<double> v, Span<double> hv)
        where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
    {
        // θ + ε·v: each parameter keeps its value and takes the direction as its tangent. The backward pass adds into the
        // parameter gradients (dw += dzᵀ·x), so they start at zero, value and tangent. The Dense layers' parameters and
        // gradients are the planes'; the arena's serve the rest (all of them in the first product, which finds out which).
        ConvertTruncating<double, TPlane>(v, planes.Tangents);
        planes.GradientValues.AsSpan().Clear();
        planes.GradientTangents.AsSpan().Clear();
        Span<Dual> arena = Arena;
        foreach (var (start, length) in planes.ArenaRanges)
        {
            for (int i = start; i < start + length; i++) arena[i] = new Dual(arena[i].Value, v[i]);
            arena.Slice(ParameterCount + start, length).Clear();
        }

        object? outer = DualDense.CurrentPlanes;
        DualDense.CurrentPlanes = planes;
        try
        {
            ForwardCore(BatchSize);
            LossCore(BatchSize);
            BackwardCore(BatchSize);
        }
        finally
        {
            DualDense.CurrentPlanes = outer;
        }
        if (planes.Recording) planes.FinishRecording();

        Read(planes, hv, gradient: false);
    }

    /// <summary>∇L on the loaded batch, as the last product computed it (zero before the first).</summary>
    internal void ReadGradient(Span<double> gradient)
    {
        if (_planes is ParameterPlanes<float> single) Read(single, gradient, gradient: true);
        else if (_planes is ParameterPlanes<double> planes) Read(planes, gradient, gradient: true);
        else gradient.Clear();
    }

    // The gradients' tangents (H·v) or values (∇L): the planes', and the arena's where the planes do not serve.
    private void Read<TPlane>(ParameterPlanes<TPlane> planes, Span<double> destination, bool gradient)
        where TPlane : unmanaged, IFloatingPointIeee754<TPlane>
    {
        ConvertTruncating<TPlane, double>(gradient ? planes.GradientValues : planes.GradientTangents, destination);
        ReadOnlySpan<Dual> g = Arena.AsSpan(ParameterCount, ParameterCount);
        foreach (var (start, length) in planes.ArenaRanges)
            for (int i = start; i < start + length; i++) destination[i] = gradient ? g[i].Value : g[i].Tangent;
    }

    // destination = source, rounded to TTo (TensorPrimitives' vectorised conversion; a copy when the types are equal).
    private static void ConvertTruncating<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination)
        where TFrom : unmanaged, INumberBase<TFrom>
        where TTo : unmanaged, INumberBase<TTo>
    {
        if (typeof(TFrom) == typeof(TTo)) MemoryMarshal.Cast<TFrom, TTo>(source).CopyTo(destination);
        else TensorPrimitives.ConvertTruncating(source, destination);
    }
}

/// <summary>A <see cref="DualNetwork"/> whose generated loss takes <typeparamref name="TTarget"/> targets: int class
/// indices (softmax cross-entropy), or <see cref="Dual"/> constants (MSE, BCE), converted from the network's T.</summary>
public abstract class DualNetwork<TTarget> : DualNetwork where TTarget : unmanaged
{
    private readonly TTarget[] _targets;

    /// <summary>Allocates the dual arena and the targets. Called by generated constructors.</summary>
    protected DualNetwork(int maxBatch, long arenaLength, int parameterCount, int inputStart, int inputSize, int targetsPerSample)
        : base(maxBatch, arenaLength, parameterCount, inputStart, inputSize, targetsPerSample)
    {
        if (typeof(TTarget) != typeof(int) && typeof(TTarget) != typeof(Dual))
            throw new NotSupportedException($"Dual passes take int or Dual targets, not {typeof(TTarget).Name}");
        _targets = new TTarget[maxBatch * targetsPerSample];
    }

    /// <summary>The generated loss on <paramref name="targets"/>, with its gradient.</summary>
    protected abstract void LossCore(ReadOnlySpan<TTarget> targets, int B);

    protected sealed override void LossCore(int B) => LossCore(_targets.AsSpan(0, B * TargetsPerSample), B);

    private protected sealed override void StoreTargets<T, TNetworkTarget>(ReadOnlySpan<TNetworkTarget> targets)
    {
        if (typeof(TTarget) == typeof(int))
        {
            MemoryMarshal.Cast<TNetworkTarget, TTarget>(targets).CopyTo(_targets);
            return;
        }
        // MSE and BCE: the network's targets are its T; as dual numbers they are constants.
        ReadOnlySpan<T> values = MemoryMarshal.Cast<TNetworkTarget, T>(targets);
        Span<Dual> destination = MemoryMarshal.Cast<TTarget, Dual>(_targets.AsSpan());
        for (int i = 0; i < values.Length; i++) destination[i] = new Dual(double.CreateTruncating(values[i]));
    }
}

/// <summary>The three passes of a network's generated code (its private <c>Layers&lt;T&gt;</c> struct), so that a
/// <see cref="GeneratedDualNetwork{TTarget, TLayers}"/> can run them over dual numbers.</summary>
public interface ILayerPasses<T, TTarget> where TTarget : unmanaged
{
    /// <summary>The forward pass on the first <paramref name="B"/> rows.</summary>
    void Forward(int B);

    /// <summary>The mean loss; with <paramref name="withGradient"/>, d loss / d output into the output's gradient.</summary>
    T Loss(ReadOnlySpan<TTarget> targets, int B, bool withGradient);

    /// <summary>The backward pass: adds into the parameter gradients, or writes them when
    /// <paramref name="accumulateGradients"/> is false. Returns whether every gradient value written is finite.</summary>
    bool Backward(int B, bool accumulateGradients);
}

/// <summary>A generated network's passes over a dual arena of its own layout: what the generated
/// <c>CreateDualNetwork</c> returns. <typeparamref name="TLayers"/> is the network's <c>Layers&lt;Dual&gt;</c>, held by
/// value, so the passes are called directly (no boxing, no virtual call per layer).</summary>
public sealed class GeneratedDualNetwork<TTarget, TLayers> : DualNetwork<TTarget>
    where TTarget : unmanaged
    where TLayers : struct, ILayerPasses<Dual, TTarget>
{
    private readonly TLayers _layers;

    /// <summary>Allocates the dual arena and builds the network's passes over it with <paramref name="createLayers"/>.</summary>
    public GeneratedDualNetwork(int maxBatch, long arenaLength, int parameterCount, int inputStart, int inputSize, int targetsPerSample,
        Func<Dual[], TLayers> createLayers)
        : base(maxBatch, arenaLength, parameterCount, inputStart, inputSize, targetsPerSample)
    {
        ArgumentNullException.ThrowIfNull(createLayers);
        _layers = createLayers(Arena);
    }

    protected override void ForwardCore(int B) => _layers.Forward(B);
    protected override void LossCore(ReadOnlySpan<TTarget> targets, int B) => _layers.Loss(targets, B, withGradient: true);
    protected override void BackwardCore(int B) => _layers.Backward(B, accumulateGradients: true);
}
