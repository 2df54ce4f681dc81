using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using GradGen.Data;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Training;

/// <summary>
/// Trains a classifier (a float network with softmax cross-entropy over class indices) epoch by epoch, on one thread
/// or data-parallel on several.
/// <code>
/// using var trainer = new ClassifierTrainer&lt;Classifier&gt;(network, optimizer, threads: 2, maxBatch =&gt; new Classifier(maxBatch));
/// var batches = new BatchIterator(train, batchSize: 64, shuffle: true, seed: 1);
/// EpochResult epoch = trainer.TrainEpoch(batches, p =&gt; Console.Write($"\r{p.BatchesDone}/{p.BatchCount} {p.RunningLoss:F4}"));
/// EvaluationResult test = trainer.Evaluate(testSet);
/// </code>
/// <para><b>One thread</b> (<see cref="Threads"/> = 1): each batch is exactly <see cref="Network{T, TTarget}.TrainStep"/>
/// on the network, so training is bit-for-bit what a hand-written loop gives, and the same seed gives the same weights.</para>
/// <para><b>Data-parallel</b> (<see cref="Threads"/> = N &gt; 1): N − 1 replicas of the network, made by the factory, live on
/// N − 1 persistent worker threads. Each batch of B samples is cut into N contiguous slices of ⌊B/N⌋ or ⌈B/N⌉ samples;
/// slice 0 runs on the calling thread with the primary network, slice i on replica i. Each computes the gradient of
/// its slice's mean loss, g_i; the primary's gradient becomes Σ (n_i / B)·g_i, which is the gradient of the whole batch's
/// mean loss, the same mathematics as one thread (the sums are grouped differently, so the weights agree with the
/// single-thread run up to float rounding, not bit for bit). One optimizer step updates the primary; each replica copies
/// the primary's parameters before its next slice. The result is still deterministic for a given N.</para>
/// <para>No batch allocates: the workers are started once, the batch reaches them as a pinned pointer, and the
/// calling thread starts each worker's phase through that worker's <see cref="SemaphoreSlim"/> and waits for all of
/// them on one more. (Not a <see cref="Barrier"/>: each of its two events allocates a 24-byte lock object at the first
/// wait on it that blocks, which can fall in any batch.) Dispose the trainer to stop the workers (they are background
/// threads, so a forgotten trainer does not keep a process alive).</para>
/// </summary>
/// <typeparam name="TNetwork">The generated network class.</typeparam>
public sealed unsafe class ClassifierTrainer<TNetwork> : IDisposable where TNetwork : Network<float, int>
{
    private const int Alignment = 16; // reduction chunks start on a multiple of this many floats

    private readonly TNetwork[] _networks;      // [0] is the primary, then the replicas
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _go;       // [i − 1] releases worker i into its next phase
    private readonly SemaphoreSlim _done;       // each worker releases it once at the end of each phase
    private readonly float[] _losses;
    private readonly int[] _correct;
    private readonly int[] _sliceStart;
    private readonly int[] _sliceSize;
    private readonly Exception?[] _errors;

    // The batch being worked on, shared with the workers for the duration of one call (the spans are pinned).
    private float* _features;
    private int* _labels;
    private bool _evaluating;
    private bool _skipReduction;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>Creates a trainer for <paramref name="network"/>.</summary>
    /// <param name="network">The network to train: the primary, whose parameters are the result.</param>
    /// <param name="optimizer">The optimizer, created for <paramref name="network"/>'s parameter count.</param>
    /// <param name="threads">1 for plain training; N &gt; 1 for data-parallel training on N threads.</param>
    /// <param name="replicaFactory">Makes a replica for batches of up to the given size (for example
    /// <c>maxBatch =&gt; new Classifier(maxBatch)</c>); required when <paramref name="threads"/> &gt; 1. Its initial
    /// parameters do not matter: they are overwritten by the primary's.</param>
    public ClassifierTrainer(TNetwork network, Optimizer<float> optimizer, int threads = 1, Func<int, TNetwork>? replicaFactory = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (optimizer.ParameterCount != network.ParameterCount)
            throw new ArgumentException($"The optimizer was made for {optimizer.ParameterCount} parameters, but the network has {network.ParameterCount}", nameof(optimizer));
        if (threads > 1 && replicaFactory is null)
            throw new ArgumentException($"Data-parallel training on {threads} threads needs a replicaFactory to make the network's replicas", nameof(replicaFactory));
        Network = network;
        Optimizer = optimizer;
        Threads = threads;

        _networks = new TNetwork[threads];
        _networks[0] = network;
        int replicaBatch = (network.MaxBatch + threads - 1) / threads;
        for (int i = 1; i < threads; i++)
        {
            var replica = replicaFactory!(replicaBatch);
            if (replica is null || ReferenceEquals(replica, network) || replica.GetType() != network.GetType())
                throw new ArgumentException($"The replicaFactory must return a new {network.GetType().Name} each time", nameof(replicaFactory));
            if (replica.MaxBatch < replicaBatch)
                throw new ArgumentException($"The replicaFactory was asked for MaxBatch {replicaBatch} but returned a network with MaxBatch {replica.MaxBatch}", nameof(replicaFactory));
            for (int j = 1; j < i; j++)
                if (ReferenceEquals(replica, _networks[j]))
                    throw new ArgumentException("The replicaFactory must return a new network each time", nameof(replicaFactory));
            // A replica's monitor would see only its slices and never an update: statistics come from the primary,
            // which trains slice 0 of every batch and applies the update (docs/instrumentation.md).
            if (replica.Monitor is { } replicaMonitor) replicaMonitor.Enabled = false;
            _networks[i] = replica;
        }
        _losses = new float[threads];
        _correct = new int[threads];
        _sliceStart = new int[threads];
        _sliceSize = new int[threads];
        _errors = new Exception?[threads];
        // SemaphoreSlim's static constructor allocates (a 64-byte delegate) at the first wait in the process that
        // blocks, which could fall in any batch: run it now. After that a blocking wait allocates nothing.
        RuntimeHelpers.RunClassConstructor(typeof(SemaphoreSlim).TypeHandle);
        _workers = new Thread[threads - 1];
        _go = new SemaphoreSlim[threads - 1];
        _done = new SemaphoreSlim(0);
        for (int i = 1; i < threads; i++)
        {
            int index = i;
            _go[i - 1] = new SemaphoreSlim(0);
            _workers[i - 1] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"GradGen trainer worker {i}" };
            _workers[i - 1].Start();
        }
    }

    /// <summary>The network being trained.</summary>
    public TNetwork Network { get; }

    /// <summary>The optimizer that updates <see cref="Network"/>.</summary>
    public Optimizer<float> Optimizer { get; }

    /// <summary>Threads that share each batch: 1, or N for data-parallel training.</summary>
    public int Threads { get; }

    /// <summary>Runs one epoch: <see cref="BatchIterator.StartEpoch"/>, then one training step per batch. After every batch
    /// <paramref name="progress"/>, if given, receives the running mean loss and accuracy. Allocates nothing per batch.</summary>
    /// <exception cref="ArgumentException">The iterator's batches are larger than the network's MaxBatch, or its samples
    /// are not the network's input size.</exception>
    /// <exception cref="NonFiniteGradientException">A gradient became NaN or infinite; the step was not applied.</exception>
    public EpochResult TrainEpoch(BatchIterator batches, Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckData(batches.Data, nameof(batches));
        if (batches.BatchSize > Network.MaxBatch && batches.Data.Count > Network.MaxBatch)
            throw new ArgumentException($"The batches hold up to {batches.BatchSize} samples, more than the network's MaxBatch of {Network.MaxBatch}", nameof(batches));

        long start = Stopwatch.GetTimestamp();
        double lossSum = 0;
        long correct = 0;
        int samples = 0, done = 0, count = batches.BatchCount;
        batches.StartEpoch();
        while (batches.Next(out Batch batch))
        {
            (float loss, int right) = TrainBatch(batch.Features, batch.Labels);
            lossSum += (double)loss * batch.Size;
            correct += right;
            samples += batch.Size;
            done++;
            progress?.Invoke(new TrainingProgress(done, count, samples, lossSum / samples, (double)correct / samples, Stopwatch.GetElapsedTime(start)));
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        return samples == 0
            ? new EpochResult(double.NaN, double.NaN, 0, 0, elapsed)
            : new EpochResult(lossSum / samples, (double)correct / samples, samples, done, elapsed);
    }

    /// <summary>One training step on one batch: <paramref name="features"/> (batch × InputSize) and its class labels.
    /// Returns the batch's mean loss before the update and how many samples the network classified correctly.</summary>
    public (float Loss, int Correct) TrainBatch(ReadOnlySpan<float> features, ReadOnlySpan<int> labels)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int batch = CheckBatch(features, labels);
        if (Threads == 1)
        {
            // Exactly the single-network path.
            float loss = Network.TrainStep(features, labels, Optimizer);
            return (loss, Losses.CountCorrect(Network.Output, labels, batch, Network.OutputSize));
        }

        RunParallel(features, labels, batch, evaluating: false);
        Network.ClipGradients();
        Network.ApplyUpdate(Optimizer);
        return (WeightedLoss(batch), SumCorrect());
    }

    /// <summary>The network's mean loss and accuracy on <paramref name="data"/>, in batches of up to
    /// <paramref name="batchSize"/> (at most the network's MaxBatch), spread over the trainer's threads. Nothing is trained.</summary>
    public EvaluationResult Evaluate(DataSet data, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Threads == 1) return ClassifierMetrics.Evaluate(Network, data, batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        CheckData(data, nameof(data));
        int size = Math.Min(batchSize, Network.MaxBatch), features = data.FeatureSize;
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < data.Count; start += size)
        {
            int n = Math.Min(size, data.Count - start);
            RunParallel(data.Features.AsSpan(start * features, n * features), data.Labels.AsSpan(start, n), n, evaluating: true);
            lossSum += (double)WeightedLoss(n) * n;
            correct += SumCorrect();
        }
        return ClassifierMetrics.Result(lossSum, correct, data.Count);
    }

    /// <summary>Stops the worker threads. The network and optimizer stay usable.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping = true;
        StartWorkers(); // releases the workers from their start-of-batch wait; they see _stopping and return
        foreach (var worker in _workers) worker.Join();
        foreach (var go in _go) go.Dispose();
        _done.Dispose();
    }

    // ------------------------------------------------------------------ data-parallel machinery

    private void RunParallel(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, int batch, bool evaluating)
    {
        // Slice i holds ⌊B/N⌋ samples, one more for the first B mod N slices: slice 0 is never empty.
        int n = Threads, quotient = batch / n, remainder = batch % n, start = 0;
        for (int i = 0; i < n; i++)
        {
            _sliceStart[i] = start;
            _sliceSize[i] = quotient + (i < remainder ? 1 : 0);
            start += _sliceSize[i];
        }
        _evaluating = evaluating;
        _skipReduction = evaluating;
        fixed (float* f = features)
        fixed (int* l = labels)
        {
            _features = f;
            _labels = l;
            StartWorkers();              // phase 1: every thread runs its slice
            RunSlice(0);
            WaitForWorkers();
            StartWorkers();              // phase 2: every thread reduces its share of the gradients
            if (!evaluating && FirstError() is null) Reduce(0);
            WaitForWorkers();            // done: the workers wait for the next batch
            _features = null;
            _labels = null;
        }
        var error = FirstError();
        if (error is not null)
        {
            Array.Clear(_errors);
            ExceptionDispatchInfo.Capture(error).Throw();
        }
    }

    private void WorkerLoop(int index)
    {
        SemaphoreSlim go = _go[index - 1];
        while (true)
        {
            go.Wait();
            if (_stopping) return;
            RunSlice(index);
            _done.Release();
            go.Wait();
            if (!_skipReduction && FirstError() is null) Reduce(index);
            _done.Release();
        }
    }

    private void StartWorkers()
    {
        foreach (var go in _go) go.Release();
    }

    private void WaitForWorkers()
    {
        for (int i = 0; i < _go.Length; i++) _done.Wait();
    }

    private void RunSlice(int index)
    {
        try
        {
            int size = _sliceSize[index];
            _losses[index] = 0;
            _correct[index] = 0;
            var network = _networks[index];
            if (index > 0 && !_evaluating) Network.Parameters.CopyTo(network.Parameters);
            if (size == 0)
            {
                // Cleared here, not by ZeroGradients' mark: Reduce reads this replica's gradients from several threads,
                // and the mark would have each of them clear it on the way.
                if (!_evaluating) network.Gradients.Clear();
                return;
            }
            if (index > 0 && _evaluating) Network.Parameters.CopyTo(network.Parameters);
            int inputs = network.InputSize;
            var features = new ReadOnlySpan<float>(_features + (long)_sliceStart[index] * inputs, size * inputs);
            var labels = new ReadOnlySpan<int>(_labels + _sliceStart[index], size);
            if (_evaluating)
            {
                _losses[index] = network.Evaluate(features, labels);
            }
            else
            {
                network.ZeroGradients();
                _losses[index] = network.ComputeGradients(features, labels);
                network.ScaleGradients((float)size / BatchTotal()); // g_i ← (n_i / B)·g_i, summed by Reduce
            }
            _correct[index] = Losses.CountCorrect(network.Output, labels, size, network.OutputSize);
        }
        catch (Exception e)
        {
            _errors[index] = e;
        }
    }

    /// <summary>Thread <paramref name="index"/>'s share of g₀ ← Σ g_i over the parameters, each g_i already scaled by
    /// n_i/B in <see cref="RunSlice"/>.</summary>
    private void Reduce(int index)
    {
        try
        {
            int count = Network.ParameterCount, n = Threads;
            int chunk = (count / n + Alignment - 1) / Alignment * Alignment;
            int from = Math.Min(index * chunk, count), to = index == n - 1 ? count : Math.Min(from + chunk, count);
            if (from >= to) return;
            Span<float> target = Network.Gradients[from..to];
            for (int i = 1; i < n; i++)
            {
                if (_sliceSize[i] == 0) continue;
                Elementwise.Copy<float>(target, to - from, _networks[i].Gradients[from..to], to - from, 1, to - from, accumulate: true);
            }
        }
        catch (Exception e)
        {
            _errors[index] ??= e;
        }
    }

    private int BatchTotal()
    {
        int batch = 0;
        foreach (int size in _sliceSize) batch += size;
        return batch;
    }

    private Exception? FirstError()
    {
        foreach (var e in _errors) if (e is not null) return e;
        return null;
    }

    private float WeightedLoss(int batch)
    {
        double sum = 0;
        for (int i = 0; i < Threads; i++) sum += (double)_losses[i] * _sliceSize[i];
        return (float)(sum / batch);
    }

    private int SumCorrect()
    {
        int sum = 0;
        foreach (int c in _correct) sum += c;
        return sum;
    }

    private int CheckBatch(ReadOnlySpan<float> features, ReadOnlySpan<int> labels)
    {
        int inputs = Network.InputSize;
        if (labels.Length == 0 || features.Length != labels.Length * inputs)
            throw new ArgumentException($"A batch of {labels.Length} labels needs {labels.Length * inputs} feature values ({inputs} per sample), but got {features.Length}", nameof(features));
        if (labels.Length > Network.MaxBatch)
            throw new ArgumentException($"The batch holds {labels.Length} samples, more than the network's MaxBatch of {Network.MaxBatch}", nameof(labels));
        return labels.Length;
    }

    private void CheckData(DataSet data, string parameter)
    {
        if (data.FeatureSize != Network.InputSize)
            throw new ArgumentException($"The data set's samples have {data.FeatureSize} features, but {Network.GetType().Name} takes {Network.InputSize}", parameter);
        if (data.Classes > Network.OutputSize)
            throw new ArgumentException($"The data set has {data.Classes} classes, but {Network.GetType().Name} has only {Network.OutputSize} outputs", parameter);
    }
}
