namespace GradGen.Training;

/// <summary>Where an epoch stands after a batch: handed to the progress callback of
/// <see cref="ClassifierTrainer{TNetwork}.TrainEpoch"/> after every batch. A struct, so that reporting allocates nothing.</summary>
public readonly record struct TrainingProgress(
    int BatchesDone,
    int BatchCount,
    int SamplesDone,
    double RunningLoss,
    double RunningAccuracy,
    TimeSpan Elapsed)
{
    /// <summary>Training throughput so far in this epoch.</summary>
    public double ImagesPerSecond => Elapsed > TimeSpan.Zero ? SamplesDone / Elapsed.TotalSeconds : 0;

    /// <summary>Whether this is the report of the epoch's last batch.</summary>
    public bool IsLast => BatchesDone == BatchCount;
}

/// <summary>One epoch of training: the mean loss over its samples (each batch's mean loss weighted by its size), the
/// fraction of samples the network classified correctly as it saw them (before each batch's update), and the time.</summary>
public readonly record struct EpochResult(double Loss, double Accuracy, int Samples, int Batches, TimeSpan Elapsed)
{
    /// <summary>Training throughput: samples per second of the epoch's wall-clock time.</summary>
    public double ImagesPerSecond => Elapsed > TimeSpan.Zero ? Samples / Elapsed.TotalSeconds : 0;
}

/// <summary>A network's mean loss and accuracy over a data set, without training.</summary>
public readonly record struct EvaluationResult(double Loss, double Accuracy, int Samples);
