using System.Diagnostics;
using GradGen.Data;
using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Training;

/// <summary>
/// Trains a classifier (a float network with softmax cross-entropy over class indices) epoch by epoch, on one thread
/// or data-parallel on several.
/// <code>
/// using var trainer = new ClassifierTrainer&lt;Classifier&gt;(network, optimizer, threads: 2);
/// var batches = new BatchIterator(train, batchSize: 64, shuffle: true, seed: 1);
/// EpochResult epoch = trainer.TrainEpoch(batches, p =&gt; Console.Write($"\r{p.BatchesDone}/{p.BatchCount} {p.RunningLoss:F4}"));
/// EvaluationResult test = trainer.Evaluate(testSet);
/// </code>
/// <para>Each batch is exactly <see cref="Network{T, TTarget}.TrainStep"/> on the network. With <see cref="Threads"/>
/// = 1 that is a hand-written loop's step, bit for bit (its kernels split over <see cref="Parallelism.MaxThreads"/> as
/// set outside). With <see cref="Threads"/> = N &gt; 1 the trainer sets <see cref="Parallelism.MaxThreads"/> to N for
/// the duration of each call, so that the step is data-parallel when the batch is large enough: the network's generated
/// replicas run slices of the batch, their gradients are reduced in a fixed order, and one update follows (see
/// TrainStep; the weights agree with one thread's up to float rounding, and are deterministic for a given N). A batch
/// too small to split, and evaluation, split inside each kernel instead. A step the network's monitor samples runs on
/// the whole batch on one network, so its statistics are the batch's.</para>
/// <para>No batch allocates. <see cref="Dispose"/> ends the trainer's use (it holds no threads of its own: the kernels'
/// pool threads serve every network).</para>
/// </summary>
/// <typeparam name="TNetwork">The generated network class.</typeparam>
public sealed class ClassifierTrainer<TNetwork> : IDisposable where TNetwork : Network<float, int>
{
    private bool _disposed;

    /// <summary>Creates a trainer for <paramref name="network"/>.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="optimizer">The optimizer, created for <paramref name="network"/>'s parameter count.</param>
    /// <param name="threads">1 for plain training; N &gt; 1 for data-parallel training on N threads.</param>
    public ClassifierTrainer(TNetwork network, Optimizer<float> optimizer, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, 64);
        if (optimizer.ParameterCount != network.ParameterCount)
            throw new ArgumentException($"The optimizer was made for {optimizer.ParameterCount} parameters, but the network has {network.ParameterCount}", nameof(optimizer));
        Network = network;
        Optimizer = optimizer;
        Threads = threads;
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
        int outside = UseThreads();
        try
        {
            float loss = Network.TrainStep(features, labels, Optimizer);
            // After a data-parallel step too, Output holds the whole batch's output.
            return (loss, Losses.CountCorrect(Network.Output, labels, batch, Network.OutputSize));
        }
        finally
        {
            Parallelism.MaxThreads = outside;
        }
    }

    /// <summary>The network's mean loss and accuracy on <paramref name="data"/>, in batches of up to
    /// <paramref name="batchSize"/> (at most the network's MaxBatch), with the kernels split over the trainer's threads.
    /// Nothing is trained.</summary>
    public EvaluationResult Evaluate(DataSet data, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckData(data, nameof(data));
        int outside = UseThreads();
        try
        {
            return ClassifierMetrics.Evaluate(Network, data, batchSize);
        }
        finally
        {
            Parallelism.MaxThreads = outside;
        }
    }

    /// <summary>Ends the trainer's use: later calls throw <see cref="ObjectDisposedException"/>. The network and
    /// optimizer stay usable.</summary>
    public void Dispose() => _disposed = true;

    /// <summary>Sets <see cref="Parallelism.MaxThreads"/> to <see cref="Threads"/> (unless 1: then the setting made
    /// outside stands) and returns the setting to restore.</summary>
    private int UseThreads()
    {
        int outside = Parallelism.MaxThreads;
        if (Threads > 1) Parallelism.MaxThreads = Threads;
        return outside;
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
