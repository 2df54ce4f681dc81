using System.Numerics;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen;

/// <summary>A network with a loss: <typeparamref name="TTarget"/> is int (class indices) for softmax cross-entropy and
/// <typeparamref name="T"/> (one target per output) for MSE and BCE. Training is one call, <see cref="TrainStep"/>,
/// or its parts: <see cref="ComputeGradients"/>, then inspect or change <see cref="Network{T}.Gradients"/>, then
/// <see cref="ApplyUpdate"/>. Gradients accumulate until <see cref="Network{T}.ZeroGradients"/>, as in PyTorch, so
/// several batches can be accumulated before one update.</summary>
public abstract partial class Network<T, TTarget> : Network<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TTarget : unmanaged
{
    private bool _hasLossGradient;

    /// <summary>Allocates the arena. Called by generated constructors.</summary>
    protected Network(int maxBatch, long arenaLength, ParameterInfo[] parameters) : base(maxBatch, arenaLength, parameters) { }

    /// <summary>Allocates a data-parallel replica's arena, without a parameter block. Called by generated replica constructors.</summary>
    protected Network(Network<T, TTarget> primary, int maxBatch, long arenaLength) : base(primary, maxBatch, arenaLength) { }

    /// <summary>Targets per sample: 1 class index, or one value per output.</summary>
    protected abstract int TargetsPerSample { get; }

    /// <summary>The loss of the last forward pass (mean over the batch). Does not touch gradients.</summary>
    /// <remarks>Not called Loss: inside a network class that name must keep meaning the GradGen.Loss enum, which the
    /// [Network(Loss = Loss.…)] attribute names.</remarks>
    public T LossOfOutput(ReadOnlySpan<TTarget> targets) => LossCore(CheckTargets(targets), BatchSize, withGradient: false);

    /// <summary>The loss of the last forward pass, also keeping d loss / d output for <see cref="Backward"/>.</summary>
    public T ComputeLoss(ReadOnlySpan<TTarget> targets)
    {
        T loss = LossCore(CheckTargets(targets), BatchSize, withGradient: true);
        _hasLossGradient = true;
        return loss;
    }

    /// <summary>Back-propagates the last <see cref="ComputeLoss"/>, adding into <see cref="Network{T}.Gradients"/>.</summary>
    public void Backward()
    {
        if (!_hasLossGradient)
            throw new InvalidOperationException("Backward needs ComputeLoss after the last Forward: there is no loss gradient to propagate");
        GradientsWritten(BackwardCore(BatchSize, AccumulateGradients));
        _hasLossGradient = false;
        _replicasInGradients = 0;
    }

    /// <summary>Forward, loss and backward on one batch; the gradients of its mean loss are added to
    /// <see cref="Network{T}.Gradients"/>. Returns the loss.</summary>
    public T ComputeGradients(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        Monitor?.BeginStep();
        Forward(input);
        T loss = ComputeLoss(targets);
        if (Monitor is { IsSampling: true } monitor) monitor.RecordLoss(double.CreateTruncating(loss));
        Backward();
        return loss;
    }

    /// <summary>Forward and loss without gradients.</summary>
    public T Evaluate(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        Forward(input);
        return LossOfOutput(targets);
    }

    /// <summary>One training step: zero the gradients, compute them on the batch, clip them with <see cref="Clipping"/>
    /// when it is set, update the parameters. Returns the loss before the update. Allocates nothing (but at the first
    /// data-parallel step, which makes the replicas).</summary>
    /// <remarks>With <see cref="Kernels.Parallelism.MaxThreads"/> N &gt; 1 and a batch large enough, the step is
    /// data-parallel: N slices of the batch's rows each run forward, loss and backward on their own thread (on N
    /// replicas reading this network's parameters in place), and the gradients are reduced into this network's in a
    /// fixed order. A given N always gives the same bits; different N agree up to float rounding (docs/performance.md,
    /// "Data-parallel TrainStep"). <see cref="Network{T}.Output"/> then holds the whole batch's output, but the layers'
    /// buffers (<see cref="Network{T}.CopyLayerOutput"/>) hold nothing of the step. A step the monitor samples runs on
    /// this network alone, so that its statistics are the whole batch's.</remarks>
    public T TrainStep(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, Optimizer<T> optimizer)
    {
        int slices = DataParallelSlices(input, targets);
        if (slices > 1 && Monitor?.BeginStep() != true) return TrainStepDataParallel(input, targets, optimizer, slices);
        if (Kernels.StepTrace.OneThreadThroughSplit && FirstLayerUnits > 0 && Kernels.Parallelism.MaxThreads == 1 && Monitor is null) return TrainStepSplittingFirstLayer(input, targets, optimizer, 1);
        LastStepSlices = 1;
        LastStepSplitFirstLayer = false;
        ZeroGradients();
        T loss = ComputeGradients(input, targets);
        ClipGradients();
        ApplyUpdate(optimizer);
        return loss;
    }

    /// <summary>The clipping that <see cref="TrainStep"/> (and <see cref="ClipGradients"/>) applies to the gradients
    /// before the update: <see cref="ClipByNorm{T}"/>, <see cref="ClipByValue{T}"/>, <see cref="ClipPerLayerByNorm{T}"/>,
    /// <see cref="AutoClip{T}"/> or your own. Null (the default): no clipping.</summary>
    public IGradientClipper<T>? Clipping { get; set; }

    /// <summary>The norm that <see cref="Clipping"/> measured before clipping, at the last <see cref="ClipGradients"/>
    /// (<c>clip_grad_norm_</c>'s return value for <see cref="ClipByNorm{T}"/>); NaN before any.</summary>
    public double GradientNormBeforeClipping { get; private set; } = double.NaN;

    /// <summary>Applies <see cref="Clipping"/>, if set, to the gradients: call it between <see cref="ComputeGradients"/>
    /// and <see cref="ApplyUpdate"/> when running the steps by hand. If the clipper throws (a non-finite norm with
    /// errorIfNonfinite), the monitor drops the step.</summary>
    public void ClipGradients()
    {
        if (Clipping is not { } clipping) return;
        try
        {
            GradientNormBeforeClipping = clipping.Clip(Gradients, ParameterTable);
        }
        catch
        {
            Monitor?.CancelStep();
            throw;
        }
    }

    /// <summary>Lets <paramref name="optimizer"/> update the parameters from the current gradients, after checking that
    /// every gradient is finite: a NaN or infinity throws <see cref="NonFiniteGradientException"/> naming the parameter,
    /// before any weight changes.</summary>
    public void ApplyUpdate(Optimizer<T> optimizer) => Update(optimizer, split: null);

    /// <summary><see cref="ApplyUpdate(Optimizer{T})"/>; with <paramref name="split"/>, each part of the data-parallel
    /// step updates the parameters it owns (<see cref="ParameterSplit"/>).</summary>
    private void Update(Optimizer<T> optimizer, ParameterSplit? split)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // Unless the backward's kernels already found every gradient finite as they wrote it, and nothing has reached
        // the gradients since (as in TrainStep without Clipping), one pass over them checks.
        bool knownFinite = GradientsKnownFinite;
        ReadOnlySpan<T> gradients = Gradients;
        int bad = knownFinite ? -1 : FirstNonFinite(gradients);
        if (bad >= 0)
        {
            Monitor?.CancelStep();
            ThrowNonFinite(bad, double.CreateTruncating(gradients[bad]));
        }
        if (Monitor is { IsSampling: true } monitor)
        {
            // The optimizer adds up each tensor's squares inside its update pass: no copy, no second sweep.
            optimizer.StepWithSums(Parameters, gradients, ParameterTable, ParameterSums);
            RecordParameterStatistics(monitor);
            monitor.EndStep();
            return;
        }
        if (split is { } parts) optimizer.StepSplit(Parameters, gradients, parts);
        else optimizer.Step(Parameters, gradients);
    }

    /// <summary>‖∇w‖, ‖w‖ and ‖Δw‖ / ‖w‖ (w before the update) of every parameter tensor, after a sampled update.</summary>
    private void RecordParameterStatistics(NetworkMonitor monitor)
    {
        UpdateSums[] sums = ParameterSums!;
        for (int p = 0; p < sums.Length; p++)
        {
            double weightNorm = Math.Sqrt(sums[p].Weights);
            monitor.RecordParameter(p, Math.Sqrt(sums[p].Gradients), weightNorm, Math.Sqrt(sums[p].Updates) / weightNorm);
        }
    }

    // Kept out of ApplyUpdate: a lambda capturing a local there would allocate its closure on every call.
    private void ThrowNonFinite(int index, double value)
    {
        var p = ParameterTable.First(q => index >= q.Offset && index < q.Offset + q.Length);
        var report = (Instrumentation & Instrumentation.AnomalyDetection) != 0 ? (_replicasInGradients > 0 ? LocateReplicaAnomaly() : LocateBackwardAnomaly()) : null;
        throw new NonFiniteGradientException(p.Name, index - p.Offset, value, report);
    }

    /// <summary>The first layer whose backward produced a non-finite value: going backwards from the loss, the gradient
    /// at each layer's output, then the gradients of that layer's parameters. A gradient at a layer's output is written
    /// by the backward of the layer after it (in a plain stack; in a branch, by one of the layers that read it). The
    /// gradient doctor calls it too.</summary>
    internal AnomalyReport? LocateBackwardAnomaly()
    {
        var layers = LayerTable;
        for (int k = layers.Count - 1; k >= 0; k--)
        {
            var layer = layers[k];
            if (FirstNonFinite(layer.GradientOffset, layer.OutputColumn, layer.OutputStride, layer.Width) is { } bad)
            {
                return k == layers.Count - 1
                    ? new AnomalyReport("backward", null, "loss gradient", bad.Row, bad.Column, bad.Value)
                    : new AnomalyReport("backward", layers[k + 1], $"gradient passed back to {layer.Name}", bad.Row, bad.Column, bad.Value);
            }
            foreach (string name in layer.Parameters)
            {
                var gradient = Gradient(name);
                int i = FirstNonFinite(gradient);
                if (i >= 0) return new AnomalyReport("backward", layer, "gradient of " + name, -1, i, double.CreateTruncating(gradient[i]));
            }
        }
        return null;
    }

    private ReadOnlySpan<TTarget> CheckTargets(ReadOnlySpan<TTarget> targets)
    {
        if (BatchSize == 0) throw new InvalidOperationException("Run Forward before computing a loss");
        int expected = BatchSize * TargetsPerSample;
        if (targets.Length != expected)
            throw new ArgumentException($"The last forward pass had {BatchSize} samples, so the loss needs {expected} targets, but got {targets.Length}", nameof(targets));
        return targets;
    }

    private protected override void OnForward() => _hasLossGradient = false;

    /// <summary>The generated loss: mean over the batch; with <paramref name="withGradient"/>, d loss / d output is
    /// written into the output's gradient buffer.</summary>
    protected abstract T LossCore(ReadOnlySpan<TTarget> targets, int B, bool withGradient);

    /// <summary>The generated backward pass, layers in reverse order: it adds into every parameter's gradient, or with
    /// <paramref name="accumulateGradients"/> false writes it. Returns whether every gradient value written is finite.</summary>
    protected abstract bool BackwardCore(int B, bool accumulateGradients);

    /// <summary>The generated passes over dual numbers, with an arena for batches of up to <paramref name="maxBatch"/>,
    /// for exact Hessian-vector products (<see cref="Curvature.HessianOperator"/>).</summary>
    /// <remarks>Protected, not protected internal: an assembly that sees GradGen's internals would otherwise have to
    /// override it with a different modifier than every other assembly.</remarks>
    protected abstract Curvature.DualNetwork CreateDualNetwork(int maxBatch);

    internal Curvature.DualNetwork NewDualNetwork(int maxBatch) => CreateDualNetwork(maxBatch);
}

/// <summary>A gradient was NaN or infinite, so the update was refused and the parameters were left as they were.
/// With <see cref="Instrumentation.AnomalyDetection"/>, <see cref="Anomaly"/> names the layer whose backward produced it.</summary>
public sealed class NonFiniteGradientException(string parameter, int index, double value, AnomalyReport? anomaly = null)
    : Exception($"The gradient of '{parameter}' is {value} at element {index}; the update was not applied, so the parameters are unchanged.{(anomaly is null ? "" : $" It was {anomaly}.")} Lower the learning rate, clip the gradients, or check the input for NaN.")
{
    /// <summary>Where the backward pass first produced a non-finite value, when the network detects anomalies.</summary>
    public AnomalyReport? Anomaly { get; } = anomaly;

    /// <summary>The parameter whose gradient is not finite.</summary>
    public string Parameter { get; } = parameter;
    /// <summary>The element (row-major) within that parameter.</summary>
    public int Index { get; } = index;
}
