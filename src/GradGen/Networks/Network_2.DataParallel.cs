using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using GradGen.Kernels;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen;

// A data-parallel TrainStep: with Parallelism.MaxThreads = N > 1 and a batch large enough to pay, the batch's rows are
// cut into N contiguous slices (Parallelism.Share: slice k is rows [⌊kB/N⌋, ⌊(k+1)B/N⌋)). Slice k runs on replica k,
// each on its own thread and its own arena: forward, loss and backward, so that a slice's activations stay in the cache
// of the core that wrote them. A replica's generated layers read this network's parameters in place (CreateReplica),
// so nothing is copied before a step. Then one reduction into this network's gradients, split by parameter ranges:
// g ← Σ_k (n_k / B)·g_k over k = 0, 1, …, N − 1 in that order, which is the gradient of the whole batch's mean loss;
// and the update, which the optimizer splits by the same ranges (Parallelism.Share over the parameters), so that each
// thread updates the gradients it has just reduced.
//
// Why slice 0 runs on a replica too, not on this network: thread k writes range k of this network's gradients in every
// reduction. Had this network's backward written all of them too, thread 0 would have fetched back the range that
// thread 1 had just written, half a megabyte across the cores per step for the MLP (its slice took 500 µs against the
// replica's 457 µs; docs/benchmarks.md, s6-dp).
//
// Bits: for a given N, every run gives the same bits (the slices, the order of the sums and the ranges are fixed).
// Between thread counts the gradients agree up to float rounding, not bit for bit: each slice's products add over its
// own rows, and the slices' sums are then added. ThreadCountTests measures the difference (docs/performance.md).
public abstract partial class Network<T, TTarget>
{
    // A slice of fewer rows than this gives its products too little to amortise packing w, and a step whose slices
    // each do fewer multiply-adds than MinMultiplyAddsPerSlice (rows × parameters: about its forward's products,
    // some 10 µs of one core for the MLP) loses more to the hand-over than the second core gives; such steps split inside each
    // kernel instead, as ComputeGradients does.
    private const int MinRowsPerSlice = 32;
    private const long MinMultiplyAddsPerSlice = 1 << 20;

    private Network<T, TTarget>[] _replicas = [];

    /// <summary>How many slices the last <see cref="TrainStep"/> cut its batch into: 1 for a one-network step.</summary>
    internal int LastStepSlices { get; private set; }

    /// <summary>Whether the last data-parallel <see cref="TrainStep"/> split the first layer by its output units.</summary>
    internal bool LastStepSplitFirstLayer { get; private set; }
    private int _replicasInGradients; // how many replicas' gradients the current gradients sum; 0 after a one-network Backward

    // Written by the thread that runs this network's slice, read by the caller after Parallelism.Run has returned.
    private T _sliceLoss;
    private Exception? _sliceFailure;

    /// <summary>A replica for a data-parallel <see cref="TrainStep"/>, with an arena of its own for batches of up to
    /// <paramref name="maxBatch"/> (its activations and gradients) whose layers read this network's parameters in place.
    /// Generated.</summary>
    protected abstract Network<T, TTarget> CreateReplica(int maxBatch);

    /// <summary>How many slices <see cref="TrainStep"/> cuts this batch into: 1 (one network, the kernels split inside)
    /// unless several threads are available and every slice gets <see cref="MinRowsPerSlice"/> rows and
    /// <see cref="MinMultiplyAddsPerSlice"/>. A malformed call gets 1, and the one-network path's checks name its defect.</summary>
    private int DataParallelSlices(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        int threads = Parallelism.AvailableThreads;
        if (threads == 1 || input.Length == 0 || input.Length % InputSize != 0) return 1;
        int batch = input.Length / InputSize;
        if (batch > MaxBatch || targets.Length != batch * TargetsPerSample) return 1;
        long slices = Math.Min(batch / MinRowsPerSlice, (long)batch * ParameterCount / MinMultiplyAddsPerSlice);
        return (int)Math.Clamp(slices, 1, threads);
    }

    private unsafe T TrainStepDataParallel(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, Optimizer<T> optimizer, int slices)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        LastStepSplitFirstLayer = FirstLayerUnits >= slices * MinUnitsPerPart;
        if (LastStepSplitFirstLayer) return TrainStepSplittingFirstLayer(input, targets, optimizer, slices);
        int batch = input.Length / InputSize;
        EnsureReplicas(slices);
        LastStepSlices = slices;
        fixed (T* x = input)
        fixed (TTarget* y = targets)
        {
            var job = new StepJob { Primary = this, Input = x, Targets = y, Batch = batch };
            Parallelism.Run(&SlicePart, Unsafe.AsPointer(ref job), slices);
            for (int k = 0; k < slices; k++) ThrowIfFailed(_replicas[k]);

            // The reduction reads every slice's gradients through pointers (the arenas are pinned) and writes this network's.
            T** gradients = stackalloc T*[slices];
            T* weights = stackalloc T[slices];
            bool* finite = stackalloc bool[slices];
            ReductionInputs(batch, slices, gradients, weights);
            job.Reduced = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(GradientStorage));
            job.Gradients = gradients;
            job.Weights = weights;
            job.Finite = finite;
            job.Slices = slices;
            job.Length = ParameterCount;
            Parallelism.Run(&ReducePart, Unsafe.AsPointer(ref job), slices);
            bool allFinite = true;
            for (int k = 0; k < slices; k++) allFinite &= finite[k];
            GradientsWritten(allFinite);
            _replicasInGradients = slices;
        }
        T loss = GatherSlices(batch, slices);
        _hasLossGradient = false; // a loss gradient of an earlier Forward here is stale now
        ClipGradients();
        ApplyUpdate(optimizer);
        return loss;
    }

    /// <summary>The reduction's inputs: replica k's gradients (written by its slice's backward, so read as they are) and
    /// their weight n_k / B, slice k's share of the batch.</summary>
    private unsafe void ReductionInputs(int batch, int slices, T** gradients, T* weights)
    {
        for (int k = 0; k < slices; k++)
        {
            gradients[k] = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(_replicas[k].GradientStorage));
            var (start, end) = Parallelism.Share(batch, k, slices);
            weights[k] = T.CreateTruncating(end - start) / T.CreateTruncating(batch);
        }
    }

    /// <summary>Makes the replicas at the first data-parallel step, and again only when the thread count grows their slices.</summary>
    private void EnsureReplicas(int slices)
    {
        int rows = (MaxBatch + slices - 1) / slices; // the largest slice of the largest batch
        if (_replicas.Length >= slices && _replicas[0].MaxBatch >= rows) return;
        var replicas = new Network<T, TTarget>[slices];
        for (int k = 0; k < replicas.Length; k++)
        {
            var replica = CreateReplica(rows);
            // A replica's monitor would see one slice and no update: a sampled step runs on this network alone.
            if (replica.Monitor is { } monitor) monitor.Enabled = false;
            replicas[k] = replica;
        }
        _replicas = replicas;
    }

    private unsafe struct StepJob
    {
        public Network<T, TTarget> Primary;
        public T* Input;
        public TTarget* Targets;
        public int Batch;
        // The reduction's: this network's gradients, every slice's and its weight n_k / B, the gradients' length, each
        // part's finiteness.
        public T* Reduced;
        public T** Gradients;
        public T* Weights;
        public bool* Finite;
        public int Slices, Length;
        // The first layer split by units: its part of the parameters, and the reduction's range [ReduceFrom, Length).
        public ParameterSplit Split;
        public int ReduceFrom;
    }

    private static unsafe void SlicePart(void* context, int part, int parts)
    {
        ref StepJob job = ref Unsafe.AsRef<StepJob>(context);
        var network = job.Primary._replicas[part];
        var (start, end) = Parallelism.Share(job.Batch, part, parts);
        int inputs = network.InputSize, targets = network.TargetsPerSample;
        network.RunSlice(new ReadOnlySpan<T>(job.Input + (long)start * inputs, (end - start) * inputs),
            new ReadOnlySpan<TTarget>(job.Targets + (long)start * targets, (end - start) * targets));
    }

    /// <summary>Forward, loss and backward of one slice on a replica, its gradients written (not added).</summary>
    private void RunSlice(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
    {
        try
        {
            _sliceFailure = null;
            ZeroGradients();
            Forward(input);
            _sliceLoss = ComputeLoss(targets);
            Backward();
        }
        catch (Exception e)
        {
            _sliceFailure = e;
        }
    }

    private void ThrowIfFailed(Network<T, TTarget> network)
    {
        if (network._sliceFailure is not { } failure) return;
        network._sliceFailure = null;
        Monitor?.CancelStep();
        ExceptionDispatchInfo.Throw(failure);
    }

    // Part p reduces the parameters' range p: g ← w_0·g_0 + w_1·g_1, then g ← g + w_k·g_k for k = 2, 3, …
    private static unsafe void ReducePart(void* context, int part, int parts)
    {
        ref StepJob job = ref Unsafe.AsRef<StepJob>(context);
        job.Finite[part] = Reduce(ref job, part, parts);
    }

    // Range p of [ReduceFrom, Length); returns whether every result is finite.
    private static unsafe bool Reduce(ref StepJob job, int part, int parts)
    {
        var (from, to) = Parallelism.AlignedShare(job.ReduceFrom, job.Length, part, parts); // the update's ranges (ParameterSplit.RestShare)
        T* reduced = job.Reduced + from;
        // One slice: only StepTrace's one-thread comparison runs the split step so (g ← 1·g_0 + 0·g_0: a copy that keeps a NaN or ±∞).
        if (job.Slices == 1) return Kernels.Gradients.WeightedSum(reduced, job.Gradients[0] + from, job.Weights[0], job.Gradients[0] + from, T.Zero, to - from);
        bool finite = Kernels.Gradients.WeightedSum(reduced, job.Gradients[0] + from, job.Weights[0], job.Gradients[1] + from, job.Weights[1], to - from);
        for (int k = 2; k < job.Slices; k++)
            finite = Kernels.Gradients.WeightedSum(reduced, reduced, T.One, job.Gradients[k] + from, job.Weights[k], to - from);
        return finite; // a NaN or ±∞ stays one through the later sums, so the last sum's answer is the range's
    }

    /// <summary>The batch's mean loss, Σ (n_k / B)·loss_k; and the replicas' output rows copied into this network's output,
    /// so that <see cref="Network{T}.Output"/> holds the whole batch's output as after a one-network step.</summary>
    private T GatherSlices(int batch, int slices)
    {
        double loss = 0;
        Span<T> output = WholeBatchOutput(batch);
        for (int k = 0; k < slices; k++)
        {
            var network = _replicas[k];
            var (start, end) = Parallelism.Share(batch, k, slices);
            loss += double.CreateTruncating(network._sliceLoss) * (end - start);
            network.Output.CopyTo(output[(start * OutputSize)..]);
        }
        return T.CreateTruncating(loss / batch);
    }

    // ---------------------------------------------------------------- the first layer split by its output units
    //
    // When the generator allows it (FirstLayerUnits > 0: a Dense first layer reading the input, docs/performance.md),
    // the step splits the first layer by its output units instead of by rows: part p computes units [u_p, u_{p+1}) of
    // every row of the batch, in the forward and in the backward, on this network's own buffers for the first layer's
    // output and its gradient, writes those rows of the weight's gradient (and those elements of the bias's) straight
    // into this network's gradients, and updates them. The rest of the network runs by rows on the replicas as above,
    // each copying its rows of the first layer's output in and its rows of that output's gradient out, and only the
    // rest's gradients are reduced. For the MLP the first layer holds 83% of the parameters: without the split each
    // core wrote the whole gradient and read half of the other core's, and wrote half of the parameters that both cores
    // read in the next step (docs/benchmarks.md, s6-dp and s7-dp). Each part's first-layer products run once over all
    // B rows (one packing of its weight rows, one pass over their gradients).
    // Three hand-overs before the update's: the first layer's forward (units), the slices after it (rows), then the
    // first layer's backward (units) with the reduction of the rest (ranges). A part's units are the same in both passes
    // and in the update.
    //
    // Bits: each slice's gradient at the first layer's output is scaled by n_k / B (the slice's share of the batch
    // mean) as it is copied out; the first layer's products then run as on one network: the same bits for a given N.

    // A part of the split first layer gets at least this many units, a vector of floats at AVX-512: narrower parts
    // would leave the products' tiles mostly empty, and such a layer is better split by rows.
    private const int MinUnitsPerPart = 16;

    /// <summary>The first layer's output units when the data-parallel step may split it by them (see above); 0, the
    /// default, splits every layer by rows. Generated.</summary>
    protected virtual int FirstLayerUnits => 0;

    /// <summary>How many parameters the first layer holds, from element 0: its weight (FirstLayerUnits × InputSize),
    /// then its bias (FirstLayerUnits) if it has one. Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual int FirstLayerParameters => 0;

    /// <summary>The first layer's units [u0, u1) of <paramref name="B"/> rows whose input is <paramref name="x"/>, into
    /// this network's output buffer of that layer. Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual void ForwardFirstLayer(ReadOnlySpan<T> x, int B, int u0, int u1) => throw NoFirstLayerSplit();

    /// <summary>The forward pass after the first layer. Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual void ForwardAfterFirstLayer(int B) => throw NoFirstLayerSplit();

    /// <summary>The backward pass down to the gradient at the first layer's output, writing (not adding) every other
    /// parameter's gradient; returns whether those are finite. Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual bool BackwardBeforeFirstLayer(int B) => throw NoFirstLayerSplit();

    /// <summary>The first layer's output, (B, FirstLayerUnits). Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual Span<T> FirstLayerOutput(int B) => throw NoFirstLayerSplit();

    /// <summary>The gradient at the first layer's output, (B, FirstLayerUnits). Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual Span<T> FirstLayerOutputGradient(int B) => throw NoFirstLayerSplit();

    /// <summary>The first layer's backward for units [u0, u1) of B rows whose input is <paramref name="x"/>: their weight
    /// and bias gradients written (or added, with <paramref name="accumulateGradients"/>) into <paramref name="gradients"/>,
    /// laid out as <see cref="Network{T}.Gradients"/>. Returns whether those are finite. Generated with <see cref="FirstLayerUnits"/>.</summary>
    protected virtual bool BackwardFirstLayer(ReadOnlySpan<T> x, int B, Span<T> gradients, bool accumulateGradients, int u0, int u1) => throw NoFirstLayerSplit();

    private NotSupportedException NoFirstLayerSplit() => new($"{GetType().Name}'s generated code does not split its first layer by units");

    private unsafe T TrainStepSplittingFirstLayer(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, Optimizer<T> optimizer, int slices)
    {
        int batch = input.Length / InputSize, units = FirstLayerUnits;
        EnsureReplicas(slices);
        LastStepSlices = slices;
        var split = new ParameterSplit(units, InputSize, FirstLayerParameters > units * InputSize, ParameterCount, slices);
        fixed (T* x = input)
        fixed (TTarget* y = targets)
        {
            T** gradients = stackalloc T*[slices];
            T* weights = stackalloc T[slices];
            bool* finite = stackalloc bool[slices];
            ReductionInputs(batch, slices, gradients, weights);
            var job = new StepJob
            {
                Primary = this, Input = x, Targets = y, Batch = batch,
                Reduced = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(GradientStorage)),
                Gradients = gradients, Weights = weights, Finite = finite, Slices = slices, Length = ParameterCount,
                Split = split, ReduceFrom = split.FirstLayerEnd,
            };
            if (StepTrace.Enabled) StepTrace.Begin(slices);
            Parallelism.Run(&FirstLayerForwardPart, Unsafe.AsPointer(ref job), slices);
            if (StepTrace.Enabled) StepTrace.JobReturned(StepTrace.FirstLayerForward);
            Parallelism.Run(&SliceAfterFirstLayerPart, Unsafe.AsPointer(ref job), slices);
            if (StepTrace.Enabled) StepTrace.JobReturned(StepTrace.Slices);
            for (int k = 0; k < slices; k++) ThrowIfFailed(_replicas[k]);
            Parallelism.Run(&FirstLayerBackwardPart, Unsafe.AsPointer(ref job), slices);
            if (StepTrace.Enabled) StepTrace.JobReturned(StepTrace.FirstLayerBackward);
            bool allFinite = true;
            for (int k = 0; k < slices; k++) allFinite &= finite[k];
            GradientsWritten(allFinite);
            _replicasInGradients = slices;
        }
        T loss = GatherSlices(batch, slices);
        _hasLossGradient = false;
        ClipGradients();
        Update(optimizer, split);
        if (StepTrace.Enabled) StepTrace.End();
        return loss;
    }

    // Part p: units [u_p, u_{p+1}) of the first layer for every row, into this network's buffer.
    private static unsafe void FirstLayerForwardPart(void* context, int part, int parts)
    {
        if (StepTrace.Enabled) StepTrace.PartStarts(StepTrace.FirstLayerForward, part);
        ref StepJob job = ref Unsafe.AsRef<StepJob>(context);
        var (u0, u1) = Parallelism.Share(job.Split.Units, part, parts);
        job.Primary.ForwardFirstLayer(new ReadOnlySpan<T>(job.Input, job.Batch * job.Split.Inputs), job.Batch, u0, u1);
        if (StepTrace.Enabled) StepTrace.PartEnds(StepTrace.FirstLayerForward, part);
    }

    // Part k: slice k after the first layer, on replica k.
    private static unsafe void SliceAfterFirstLayerPart(void* context, int part, int parts)
    {
        if (StepTrace.Enabled) StepTrace.PartStarts(StepTrace.Slices, part);
        ref StepJob job = ref Unsafe.AsRef<StepJob>(context);
        var (start, end) = Parallelism.Share(job.Batch, part, parts);
        var primary = job.Primary;
        int targets = primary.TargetsPerSample, units = job.Split.Units;
        primary._replicas[part].RunSliceAfterFirstLayer(new ReadOnlySpan<TTarget>(job.Targets + (long)start * targets, (end - start) * targets),
            primary.FirstLayerOutput(job.Batch).Slice(start * units, (end - start) * units),
            primary.FirstLayerOutputGradient(job.Batch).Slice(start * units, (end - start) * units), job.Weights[part]);
        if (StepTrace.Enabled) StepTrace.PartEnds(StepTrace.Slices, part);
    }

    /// <summary>Forward after the first layer, from <paramref name="firstLayerOutput"/> (this slice's rows of it), loss and
    /// backward down to the first layer's output gradient, which goes into <paramref name="firstLayerOutputGradient"/>
    /// scaled by <paramref name="share"/> = n_k / B: the slice's loss is its own rows' mean, and the first layer's
    /// gradient adds all slices' rows without the reduction's weights.</summary>
    private void RunSliceAfterFirstLayer(ReadOnlySpan<TTarget> targets, ReadOnlySpan<T> firstLayerOutput, Span<T> firstLayerOutputGradient, T share)
    {
        try
        {
            _sliceFailure = null;
            int rows = targets.Length / TargetsPerSample;
            ZeroGradients();
            BeginForwardWithoutInput(rows);
            firstLayerOutput.CopyTo(FirstLayerOutput(rows));
            ForwardAfterFirstLayer(rows);
            _sliceLoss = ComputeLoss(targets);
            BackwardBeforeFirstLayer(rows); // its finiteness is the reduction's to find
            _hasLossGradient = false;
            TensorPrimitives.Multiply(FirstLayerOutputGradient(rows), share, firstLayerOutputGradient);
        }
        catch (Exception e)
        {
            _sliceFailure = e;
        }
    }

    // Part p: the first layer's backward for units [u_p, u_{p+1}) over every row, into this network's gradients; then
    // range p of the rest's reduction.
    private static unsafe void FirstLayerBackwardPart(void* context, int part, int parts)
    {
        if (StepTrace.Enabled) StepTrace.PartStarts(StepTrace.FirstLayerBackward, part);
        ref StepJob job = ref Unsafe.AsRef<StepJob>(context);
        var (u0, u1) = Parallelism.Share(job.Split.Units, part, parts);
        var x = new ReadOnlySpan<T>(job.Input, job.Batch * job.Split.Inputs);
        bool finite = job.Primary.BackwardFirstLayer(x, job.Batch, new Span<T>(job.Reduced, job.Length), accumulateGradients: false, u0, u1);
        if (StepTrace.Enabled) StepTrace.Mark(StepTrace.ReductionStart, part);
        job.Finite[part] = Reduce(ref job, part, parts) && finite;
        if (StepTrace.Enabled) StepTrace.PartEnds(StepTrace.FirstLayerBackward, part);
    }

    /// <summary>After a data-parallel step whose gradients are not finite: the first anomaly in a slice, its rows counted
    /// within the slice (this network's own layer buffers hold nothing of the step).</summary>
    private AnomalyReport? LocateReplicaAnomaly()
    {
        for (int k = 0; k < _replicasInGradients; k++)
        {
            if (_replicas[k].LocateBackwardAnomaly() is { } report) return report;
        }
        return null;
    }
}
