using System.Numerics;
using System.Runtime.InteropServices;
using GradGen.IO;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen;

/// <summary>What every generated network shares: one arena holding parameters, gradients, activations and
/// scratch; the forward pass; parameter access by PyTorch name; and safetensors loading and saving.
/// The generated part of a [Network] class derives from this (or from <see cref="Network{T, TTarget}"/>) and fills
/// in the layers. <typeparamref name="T"/> is float (the declared class) or double (its nested Float64 class).</summary>
public abstract class Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterInfo[] _parameters;
    private readonly Dictionary<string, ParameterInfo> _byName;

    /// <summary>The one allocation: [parameters | gradients | activations | scratch], from element
    /// <see cref="ArenaStart"/> on. Generated code indexes it as <c>Arena[ArenaStart + offset]</c>.</summary>
    protected T[] Arena { get; }

    /// <summary>Where the arena's layout begins in <see cref="Arena"/>: the first element on a 64-byte boundary.</summary>
    /// <remarks>Every vector kernel then sees the same placement relative to cache lines in every process. With the
    /// array as the GC places it (8-byte aligned, somewhere different in each process), the residual benchmark's step
    /// moved by up to ±20% from one process to the next, which we attribute to that placement (docs/benchmarks.md).</remarks>
    protected int ArenaStart { get; }

    /// <summary>Allocates the arena. Called by generated constructors.</summary>
    protected Network(int maxBatch, long arenaLength, ParameterInfo[] parameters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (arenaLength > Array.MaxLength - AlignedArray.Alignment)
            throw new ArgumentOutOfRangeException(nameof(maxBatch), $"A batch of {maxBatch} needs {arenaLength} values, more than one array holds; use a smaller maxBatch");
        MaxBatch = maxBatch;
        _parameters = parameters;
        _byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        ParameterCount = parameters.Length == 0 ? 0 : parameters[^1].Offset + parameters[^1].Length;
        (Arena, ArenaStart) = AlignedArray.Allocate<T>(arenaLength);
    }

    /// <summary>Allocates a data-parallel replica's arena (called by generated replica constructors): the layout without
    /// its parameter block, which a replica never reads (its layers read <paramref name="primary"/>'s parameters in
    /// place). <see cref="ArenaStart"/> is where the parameters would begin, ParameterCount elements before the gradients,
    /// which start on a 64-byte boundary: only gradients, activations and scratch are ever indexed, and
    /// <see cref="Parameters"/> must not be.</summary>
    protected Network(Network<T> primary, int maxBatch, long arenaLength)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        MaxBatch = maxBatch;
        _parameters = primary._parameters;
        _byName = primary._byName;
        ParameterCount = primary.ParameterCount;
        (Arena, int gradientsStart) = AlignedArray.Allocate<T>(arenaLength - ParameterCount);
        ArenaStart = gradientsStart - ParameterCount;
    }

    /// <summary>The arena's elements [start, start + length) of the layout.</summary>
    private protected Span<T> ArenaSpan(int start, int length) => Arena.AsSpan(ArenaStart + start, length);

    /// <summary>The largest batch the arena was sized for.</summary>
    public int MaxBatch { get; }

    /// <summary>Samples in the last forward pass.</summary>
    public int BatchSize { get; private set; }

    /// <summary>Input features per sample.</summary>
    public abstract int InputSize { get; }

    /// <summary>Output features per sample.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Scalars in all parameters together.</summary>
    public int ParameterCount { get; }

    /// <summary>The parameter tensors in PyTorch's <c>model.parameters()</c> order.</summary>
    public IReadOnlyList<ParameterInfo> ParameterTable => _parameters;

    /// <summary>All parameters, flat, in <see cref="ParameterTable"/> order.</summary>
    public Span<T> Parameters => ArenaSpan(0, ParameterCount);

    /// <summary>All gradients, laid out as <see cref="Parameters"/>. Backward passes add into them (the first after
    /// <see cref="ZeroGradients"/> writes them).</summary>
    public Span<T> Gradients
    {
        get
        {
            ExposeGradients();
            return GradientStorage;
        }
    }

    /// <summary>The gradients' elements of the arena, as they are: no pending <see cref="ZeroGradients"/> done.</summary>
    private protected Span<T> GradientStorage => ArenaSpan(ParameterCount, ParameterCount);

    // ZeroGradients is lazy: it only sets _gradientsCleared, and the next backward writes each gradient instead of adding
    // to it (every parameter's gradient is written once per backward), which saves a pass over all the gradients per
    // step. Whatever else reaches the gradients (Gradients, Gradient) clears them first.
    private bool _gradientsCleared;

    // Set by a backward whose kernels found every gradient value they wrote finite, which, since each backward writes
    // every gradient, means all of them were. Cleared whenever the gradients are handed out (Gradients, Gradient),
    // since the caller may write into them; ApplyUpdate then checks them itself.
    private bool _gradientsKnownFinite;

    /// <summary>Called before the gradients are handed out: a pending <see cref="ZeroGradients"/> is done now, and the
    /// backward's finiteness no longer vouches for them.</summary>
    private void ExposeGradients()
    {
        if (_gradientsCleared)
        {
            Kernels.Gradients.Clear(GradientStorage);
            _gradientsCleared = false;
        }
        _gradientsKnownFinite = false;
    }

    /// <summary>For the backward pass: whether it must add into the gradients (false after <see cref="ZeroGradients"/>,
    /// when it writes them). The backward then reports what it found with <see cref="GradientsWritten"/>.</summary>
    private protected bool AccumulateGradients => !_gradientsCleared;

    /// <summary>Called after a backward pass: the gradients now hold its results, and <paramref name="finite"/> says
    /// whether every value written was finite.</summary>
    private protected void GradientsWritten(bool finite)
    {
        _gradientsCleared = false;
        _gradientsKnownFinite = finite;
    }

    /// <summary>Whether the last backward found every gradient finite and nothing has reached the gradients since
    /// (ZeroGradients and ExposeGradients clear the flag).</summary>
    private protected bool GradientsKnownFinite => _gradientsKnownFinite;

    /// <summary>The output of the last forward pass, (BatchSize, OutputSize) row-major.</summary>
    public ReadOnlySpan<T> Output => ArenaSpan(OutputStart, BatchSize * OutputSize);

    /// <summary>Where the input buffer starts in the arena.</summary>
    protected abstract int InputStart { get; }

    /// <summary>Where the output buffer starts in the arena.</summary>
    protected abstract int OutputStart { get; }

    /// <summary>Describes the parameter called <paramref name="name"/> ("0.weight").</summary>
    public ParameterInfo GetParameterInfo(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{GetType().Name} has no parameter '{name}'; it has: {string.Join(", ", _parameters.Select(p => p.Name))}");

    /// <summary>The parameter called <paramref name="name"/>, row-major in its <see cref="ParameterInfo.Shape"/>.</summary>
    public Span<T> Parameter(string name)
    {
        var info = GetParameterInfo(name);
        return ArenaSpan(info.Offset, info.Length);
    }

    /// <summary>The gradient of the parameter called <paramref name="name"/>.</summary>
    public Span<T> Gradient(string name)
    {
        var info = GetParameterInfo(name);
        ExposeGradients();
        return ArenaSpan(ParameterCount + info.Offset, info.Length);
    }

    /// <summary>Re-initialises every parameter from <paramref name="seed"/>, as the declaration says.</summary>
    public abstract void Initialize(ulong seed);

    /// <summary>Runs the forward pass on <paramref name="input"/>, (batch, InputSize) row-major, for any batch from 1 to
    /// <see cref="MaxBatch"/>. The input is copied into the arena, so the span may be reused at once. Allocates nothing.</summary>
    public void Forward(ReadOnlySpan<T> input)
    {
        if (input.Length == 0 || input.Length % InputSize != 0)
            throw new ArgumentException($"The input has {input.Length} values, which is not a whole number (at least 1) of samples of {InputSize} features", nameof(input));
        int batch = input.Length / InputSize;
        if (batch > MaxBatch)
            throw new ArgumentException($"The input holds {batch} samples, more than this network's MaxBatch of {MaxBatch}", nameof(input));
        input.CopyTo(ArenaSpan(InputStart, input.Length));
        BatchSize = batch;
        OnForward();
        ForwardCore(batch);
        if ((Instrumentation & Instrumentation.AnomalyDetection) != 0) CheckForwardPass();
    }

    /// <summary>For a data-parallel step: <see cref="BatchSize"/> becomes the whole batch, and the output buffer's rows for
    /// it are returned, for the replicas' rows to be copied in after this network's own slice.</summary>
    private protected Span<T> WholeBatchOutput(int batch)
    {
        BatchSize = batch;
        return ArenaSpan(OutputStart, batch * OutputSize);
    }

    /// <summary>For a data-parallel step whose first layer is split by units: <see cref="BatchSize"/> becomes
    /// <paramref name="batch"/> as at a <see cref="Forward"/> of that many rows, but the input is not copied (the first
    /// layer has read it in place).</summary>
    private protected void BeginForwardWithoutInput(int batch)
    {
        BatchSize = batch;
        OnForward();
    }

    /// <summary>Called by <see cref="Forward"/> before the layers run.</summary>
    private protected virtual void OnForward() { }

    // ---------------------------------------------------------------- instrumentation

    /// <summary>What the generator compiled into this network's passes (its declaration's
    /// <see cref="NetworkAttribute.Instrumentation"/>, or the project's default).</summary>
    public Instrumentation Instrumentation { get; private set; }

    /// <summary>The per-layer statistics, when compiled with <see cref="Instrumentation.Statistics"/>; otherwise null.</summary>
    public NetworkMonitor? Monitor { get; private set; }

    /// <summary>The layers in forward order, when compiled with any instrumentation; otherwise empty.</summary>
    public IReadOnlyList<LayerInfo> LayerTable { get; private set; } = Array.Empty<LayerInfo>();

    /// <summary>Σg², Σw² and Σ(Δw)² per parameter tensor, written by the optimizer's update on a sampled step.</summary>
    private protected UpdateSums[]? ParameterSums { get; private set; }

    /// <summary>Called by generated constructors of instrumented networks, before anything runs.</summary>
    protected NetworkMonitor? EnableInstrumentation(Instrumentation instrumentation, LayerInfo[] layers)
    {
        Instrumentation = instrumentation;
        LayerTable = layers;
        if ((instrumentation & Instrumentation.Statistics) != 0)
        {
            Monitor = new NetworkMonitor(layers, _parameters);
            ParameterSums = new UpdateSums[_parameters.Length];
        }
        return Monitor;
    }

    /// <summary>A copy of <paramref name="layer"/>'s output in the last forward pass, (BatchSize, Width) row-major.
    /// Allocates: for inspection and tests, not for every step.</summary>
    public T[] CopyLayerOutput(LayerInfo layer) => CopyRows(layer.OutputOffset, layer);

    /// <summary>A copy of the gradient at <paramref name="layer"/>'s output in the last backward pass.</summary>
    public T[] CopyLayerOutputGradient(LayerInfo layer) =>
        layer.GradientOffset >= 0 ? CopyRows(layer.GradientOffset, layer) : throw new InvalidOperationException($"layer {layer.Name} has no output gradient");

    private T[] CopyRows(int perSampleOffset, LayerInfo layer)
    {
        var rows = Rows(perSampleOffset, layer);
        var copy = new T[BatchSize * layer.Width];
        for (int i = 0; i < BatchSize; i++) rows.Slice(i * layer.OutputStride, layer.Width).CopyTo(copy.AsSpan(i * layer.Width, layer.Width));
        return copy;
    }

    /// <summary><paramref name="layer"/>'s output in the last forward pass, in place: BatchSize rows of Width values,
    /// row i at i · <see cref="LayerInfo.OutputStride"/> (a concatenated block's rows are wider than one layer's output).
    /// Valid until the next pass; copies nothing, for the doctor.</summary>
    internal ReadOnlySpan<T> LayerOutputRows(LayerInfo layer) => Rows(layer.OutputOffset, layer);

    private Span<T> Rows(int perSampleOffset, LayerInfo layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!LayerTable.Contains(layer)) throw new ArgumentException($"layer {layer.Name} is not a layer of {GetType().Name}", nameof(layer));
        int start = 2 * ParameterCount + MaxBatch * perSampleOffset + layer.OutputColumn;
        return ArenaSpan(start, (BatchSize - 1) * layer.OutputStride + layer.Width);
    }

    /// <summary>The first non-finite value of a layer's output (forward) or output gradient, or null.</summary>
    private protected (int Row, int Column, double Value)? FirstNonFinite(int perSampleOffset, int column, int stride, int width)
    {
        if (perSampleOffset < 0) return null;
        int start = 2 * ParameterCount + MaxBatch * perSampleOffset + column;
        for (int i = 0; i < BatchSize; i++)
        {
            var row = ArenaSpan(start + i * stride, width);
            int j = FirstNonFinite(row);
            if (j >= 0) return (i, j, double.CreateTruncating(row[j]));
        }
        return null;
    }

    /// <summary>The index of the first NaN or ±∞ in <paramref name="values"/>, or −1.</summary>
    private protected static int FirstNonFinite(ReadOnlySpan<T> values)
    {
        // Kernels.Gradients.AllFinite is vectorised at every width and split over the kernel threads; only a failing
        // check searches for the element.
        if (Kernels.Gradients.AllFinite(values)) return -1;
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i])) return i;
        }
        return -1;
    }

    /// <summary>With <see cref="Instrumentation.AnomalyDetection"/>: if the output is not finite, the first layer that
    /// made it so (see <see cref="LocateForwardAnomaly"/>).</summary>
    private void CheckForwardPass()
    {
        if (FirstNonFinite(ArenaSpan(OutputStart, BatchSize * OutputSize)) < 0) return;
        Monitor?.CancelStep();
        throw new AnomalyException(LocateForwardAnomaly()!);
    }

    /// <summary>Where the last forward pass first produced a NaN or ±∞: the input, then each layer's output in forward
    /// order, then the network's output (the only place checked when there is no <see cref="LayerTable"/>); null when
    /// all of them are finite. The gradient doctor calls it too.</summary>
    internal AnomalyReport? LocateForwardAnomaly()
    {
        var input = ArenaSpan(InputStart, BatchSize * InputSize);
        int inputBad = FirstNonFinite(input);
        if (inputBad >= 0)
            return new AnomalyReport("forward", null, "input", inputBad / InputSize, inputBad % InputSize, double.CreateTruncating(input[inputBad]));
        foreach (var layer in LayerTable)
        {
            if (FirstNonFinite(layer.OutputOffset, layer.OutputColumn, layer.OutputStride, layer.Width) is { } bad)
                return new AnomalyReport("forward", layer, "output", bad.Row, bad.Column, bad.Value);
        }
        var output = ArenaSpan(OutputStart, BatchSize * OutputSize);
        int outputBad = FirstNonFinite(output);
        return outputBad < 0 ? null
            : new AnomalyReport("forward", null, "output", outputBad / OutputSize, outputBad % OutputSize, double.CreateTruncating(output[outputBad]));
    }

    /// <summary>The generated layers, run in forward order on the first <paramref name="B"/> rows.</summary>
    protected abstract void ForwardCore(int B);

    /// <summary>Sets every gradient to zero, as PyTorch's <c>zero_grad(set_to_none=False)</c>. Lazily: the next backward
    /// pass writes the gradients instead of adding to them, and <see cref="Gradients"/> or <see cref="Gradient"/> before
    /// then clears them, so the zeros are what every reader sees.</summary>
    public void ZeroGradients()
    {
        _gradientsCleared = true;
        _gradientsKnownFinite = false;
    }

    /// <summary>Multiplies every gradient by <paramref name="factor"/>, for example 1/k after accumulating k batches.</summary>
    /// <remarks>Vectorised: a gradient-accumulation loop calls it once per update.</remarks>
    public void ScaleGradients(T factor) => GradientClipping.Scale(Gradients, factor);

    // ---------------------------------------------------------------- safetensors

    /// <summary>Loads every parameter from <paramref name="file"/>, where each is named <paramref name="prefix"/> + its
    /// PyTorch name (a PyTorch state_dict saved with safetensors has no prefix). Everything is checked before anything is
    /// copied: a missing tensor, an extra one under the prefix, a wrong shape or a wrong dtype (F32 for float networks, F64 for Float64)
    /// throws <see cref="SafeTensorsException"/> naming the tensor, and leaves the parameters as they were.</summary>
    public void LoadParameters(SafeTensorsFile file, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        var expected = typeof(T) == typeof(float) ? SafeTensorsDType.F32 : SafeTensorsDType.F64;
        var tensors = new SafeTensor[_parameters.Length];
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            string name = prefix + p.Name;
            if (!file.TryGet(name, out var tensor))
                throw new SafeTensorsException($"{file.SourceName}: tensor '{name}' is missing; {GetType().Name} needs it with shape [{string.Join(", ", p.Shape)}]");
            if (!tensor.Shape.AsSpan().SequenceEqual(p.Shape))
                throw new SafeTensorsException($"{file.SourceName}: tensor '{name}' has shape {tensor.ShapeText}, but {GetType().Name} needs [{string.Join(", ", p.Shape)}]");
            if (tensor.DType != expected)
                throw new SafeTensorsException($"{file.SourceName}: tensor '{name}' is {tensor.DType}, but {GetType().Name} holds {expected}; convert the file or use the other precision");
            tensors[i] = tensor;
        }
        var extra = file.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal) && !_byName.ContainsKey(t.Name[prefix.Length..])).Select(t => t.Name).ToList();
        if (extra.Count > 0)
            throw new SafeTensorsException($"{file.SourceName}: tensor '{extra[0]}' matches no parameter of {GetType().Name} (its parameters are {string.Join(", ", _parameters.Select(p => p.Name))})");
        for (int i = 0; i < tensors.Length; i++)
        {
            var destination = ArenaSpan(_parameters[i].Offset, _parameters[i].Length);
            if (typeof(T) == typeof(float)) tensors[i].CopyTo(MemoryMarshal.Cast<T, float>(destination));
            else tensors[i].CopyTo(MemoryMarshal.Cast<T, double>(destination));
        }
    }

    /// <summary>Loads parameters from a safetensors file; see <see cref="LoadParameters(SafeTensorsFile, string)"/>.</summary>
    public void Load(string path) => LoadParameters(SafeTensorsFile.Read(path));

    /// <summary>The parameters as a safetensors file, named as PyTorch's state_dict names them.</summary>
    public SafeTensorsFile ToSafeTensors()
    {
        var file = new SafeTensorsFile();
        file.SetMetadata("format", "pt");
        file.SetMetadata("network", GetType().FullName ?? GetType().Name);
        foreach (var p in _parameters)
        {
            ReadOnlySpan<T> data = ArenaSpan(p.Offset, p.Length);
            if (typeof(T) == typeof(float)) file.Add(p.Name, MemoryMarshal.Cast<T, float>(data), p.Shape);
            else file.Add(p.Name, MemoryMarshal.Cast<T, double>(data), p.Shape);
        }
        return file;
    }

    /// <summary>Saves the parameters as a safetensors file that PyTorch's <c>load_state_dict</c> accepts.</summary>
    public void Save(string path) => ToSafeTensors().Write(path);
}
