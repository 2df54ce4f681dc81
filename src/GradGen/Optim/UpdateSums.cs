using System.Numerics;
using System.Runtime.CompilerServices;
using GradGen.Kernels;

namespace GradGen.Optim;

/// <summary>Σg², Σw² and Σ(Δw)² of one parameter tensor, accumulated by an optimizer's update pass on a sampled step:
/// g is the gradient the update read, w the parameters before the update and Δw = w′ − w what the update changed.
/// The monitor's ‖∇w‖, ‖w‖ and ‖Δw‖ / ‖w‖ are their square roots.</summary>
internal struct UpdateSums
{
    public double Gradients;
    public double Weights;
    public double Updates;

    public void Add(double gradients, double weights, double updates)
    {
        Gradients += gradients;
        Weights += weights;
        Updates += updates;
    }

    public void Add(in UpdateSums other) => Add(other.Gradients, other.Weights, other.Updates);

    /// <summary>Adds g², w² and (w′ − w)² of one element, in double: the scalar loops' part.</summary>
    public void AddSquares<T>(T gradient, T before, T after) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double g = double.CreateTruncating(gradient), w = double.CreateTruncating(before), d = double.CreateTruncating(after - before);
        Add(g * g, w * w, d * d);
    }

    /// <summary>Adds the lanes of a vector loop's three accumulators (g², w² and (w′ − w)², summed lane-wise in T).</summary>
    public void AddLanes<TVec, TOps, T>(TVec gradients, TVec weights, TVec updates)
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
        where T : unmanaged, IFloatingPointIeee754<T>
        => Add(double.CreateTruncating(TOps.Sum(gradients)), double.CreateTruncating(TOps.Sum(weights)), double.CreateTruncating(TOps.Sum(updates)));
}

/// <summary>Whether an update loop also accumulates <see cref="UpdateSums"/>. It is a struct type argument, so the JIT
/// compiles each loop twice: with <see cref="WithoutSums"/> the constant false removes every trace of the sums, and an
/// unsampled step runs the plain update. Callers without sums pass <c>ref Unsafe.NullRef&lt;UpdateSums&gt;()</c>: it is never read.</summary>
internal interface ISumsSwitch
{
    static abstract bool Accumulate { get; }
}

internal readonly struct WithSums : ISumsSwitch
{
    public static bool Accumulate => true;
}

internal readonly struct WithoutSums : ISumsSwitch
{
    public static bool Accumulate => false;
}

/// <summary>An optimizer's element-wise update over the elements [start, end) of the flat arrays it holds pointers to
/// (pinned by the caller), adding the elements' <see cref="UpdateSums"/> into <c>sums</c>.</summary>
internal interface IRangeUpdate
{
    void Run<TSums>(int start, int end, ref UpdateSums sums) where TSums : struct, ISumsSwitch;
}

/// <summary>Runs an optimizer's update tensor by tensor, and each tensor chunk by chunk, collecting every tensor's
/// <see cref="UpdateSums"/> in the same pass: the sampled step's parameter statistics without a copy of the parameters
/// and without a second sweep over them.</summary>
/// <remarks>
/// The update loops add squares in vectors of T within a chunk of <see cref="ChunkLength"/> elements, and the chunks'
/// totals in double, so that float rounding cannot build up over a large tensor (as <see cref="Monitoring.StatisticsKernels.SumOfSquares{T}"/>).
/// A large tensor is split over up to <see cref="Parallelism.MaxThreads"/> threads by chunk ranges; each thread adds its
/// chunks, then the threads' totals are added in order. The update is the same for every thread count; the sums can
/// differ in their last bits between thread counts (not between runs).
/// Its methods, and the optimizers' loops they call, are compiled fully optimised at their first call
/// (AggressiveOptimization): a sampled step comes once in SampleEvery steps, too rarely for tiered compilation to
/// promote this code before the run is over, and at tier 0 (no inlining of the Simd helpers) a sampled step's update
/// cost several ordinary ones (docs/dashboard-overhead.md).
/// </remarks>
internal static unsafe class FusedUpdate
{
    /// <summary>Elements whose squares are added in vectors of T before the total goes to double.</summary>
    internal const int ChunkLength = 4096;

    // A part of a parallel update gets at least this many chunks (32k elements, a few microseconds of one core).
    private const int MinChunksPerPart = 8;

    /// <summary>Updates every tensor of <paramref name="tensors"/> (which tile the parameters, checked by the caller)
    /// and writes its sums into <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<TUpdate>(ref TUpdate update, IReadOnlyList<ParameterInfo> tensors, Span<UpdateSums> sums)
        where TUpdate : unmanaged, IRangeUpdate
    {
        for (int t = 0; t < tensors.Count; t++) sums[t] = Tensor(ref update, tensors[t].Offset, tensors[t].Length);
    }

    /// <summary>The plain update of elements [0, <paramref name="length"/>) (an unsampled step: no sums), split over up to
    /// <see cref="Parallelism.MaxThreads"/> threads by element ranges when each part gets at least
    /// <paramref name="minElementsPerPart"/>. Every element takes the same operations on whichever thread, so every thread
    /// count gives the same bits.</summary>
    internal static void RunPlain<TUpdate>(ref TUpdate update, int length, int minElementsPerPart) where TUpdate : unmanaged, IRangeUpdate
    {
        int parts = Math.Min(Parallelism.AvailableThreads, length / minElementsPerPart);
        if (parts <= 1)
        {
            update.Run<WithoutSums>(0, length, ref Unsafe.NullRef<UpdateSums>());
            return;
        }
        var job = new PlainJob<TUpdate> { Update = (TUpdate*)Unsafe.AsPointer(ref update), Length = length };
        Parallelism.Run(&PlainPart<TUpdate>, &job, parts);
    }

    /// <summary>The plain update, each part of <paramref name="split"/> updating the ranges it owns (a data-parallel step whose first layer is split by units). The same bits as
    /// <see cref="RunPlain"/>: every element takes the same operations on whichever thread.</summary>
    internal static void RunSplit<TUpdate>(ref TUpdate update, ParameterSplit split) where TUpdate : unmanaged, IRangeUpdate
    {
        var job = new SplitJob<TUpdate> { Update = (TUpdate*)Unsafe.AsPointer(ref update), Split = split };
        if (StepTrace.Enabled) StepTrace.JobPublished(StepTrace.Update);
        Parallelism.Run(&SplitPart<TUpdate>, &job, split.Parts);
        if (StepTrace.Enabled) StepTrace.JobReturned(StepTrace.Update);
    }

    private struct SplitJob<TUpdate> where TUpdate : unmanaged
    {
        public TUpdate* Update;
        public ParameterSplit Split;
    }

    private static void SplitPart<TUpdate>(void* context, int part, int parts) where TUpdate : unmanaged, IRangeUpdate
    {
        if (StepTrace.Enabled) StepTrace.PartStarts(StepTrace.Update, part);
        ref SplitJob<TUpdate> job = ref *(SplitJob<TUpdate>*)context;
        Span<(int Start, int End)> ranges = stackalloc (int, int)[ParameterSplit.MaxRanges];
        int count = job.Split.Ranges(part, ranges);
        for (int r = 0; r < count; r++)
        {
            job.Update->Run<WithoutSums>(ranges[r].Start, ranges[r].End, ref Unsafe.NullRef<UpdateSums>());
            if (StepTrace.Enabled && r == 0) StepTrace.Mark(StepTrace.UpdateFirstRangeEnd, part);
        }
        if (StepTrace.Enabled) StepTrace.PartEnds(StepTrace.Update, part);
    }

    private struct PlainJob<TUpdate> where TUpdate : unmanaged
    {
        public TUpdate* Update;
        public int Length;
    }

    private static void PlainPart<TUpdate>(void* context, int part, int parts) where TUpdate : unmanaged, IRangeUpdate
    {
        ref PlainJob<TUpdate> job = ref *(PlainJob<TUpdate>*)context;
        var (start, end) = Parallelism.AlignedShare(0, job.Length, part, parts); // the data-parallel step's reduction's ranges
        job.Update->Run<WithoutSums>(start, end, ref Unsafe.NullRef<UpdateSums>());
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static UpdateSums Tensor<TUpdate>(ref TUpdate update, int offset, int length) where TUpdate : unmanaged, IRangeUpdate
    {
        int chunks = (length + ChunkLength - 1) / ChunkLength;
        int parts = Math.Min(Parallelism.AvailableThreads, chunks / MinChunksPerPart);
        if (parts <= 1) return Chunks(ref update, offset, offset + length, 0, chunks);
        UpdateSums* partial = stackalloc UpdateSums[parts];
        var job = new Job<TUpdate> { Update = (TUpdate*)Unsafe.AsPointer(ref update), Offset = offset, Length = length, Chunks = chunks, Partial = partial };
        Parallelism.Run(&Part<TUpdate>, &job, parts);
        var total = default(UpdateSums);
        for (int part = 0; part < parts; part++) total.Add(partial[part]);
        return total;
    }

    private struct Job<TUpdate> where TUpdate : unmanaged
    {
        public TUpdate* Update;
        public int Offset, Length, Chunks;
        public UpdateSums* Partial;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Part<TUpdate>(void* context, int part, int parts) where TUpdate : unmanaged, IRangeUpdate
    {
        ref Job<TUpdate> job = ref *(Job<TUpdate>*)context;
        var (first, last) = Parallelism.Share(job.Chunks, part, parts);
        job.Partial[part] = Chunks(ref *job.Update, job.Offset, job.Offset + job.Length, first, last);
    }

    // Chunks [first, last) of the tensor [offset, end): the update loop adds each chunk's squares in T, then into total in double.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static UpdateSums Chunks<TUpdate>(ref TUpdate update, int offset, int end, int first, int last) where TUpdate : unmanaged, IRangeUpdate
    {
        var total = default(UpdateSums);
        for (int chunk = first; chunk < last; chunk++)
        {
            int start = offset + chunk * ChunkLength;
            update.Run<WithSums>(start, Math.Min(end, start + ChunkLength), ref total);
        }
        return total;
    }
}
