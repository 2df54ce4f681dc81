using GradGen.Data;
using GradGen.Monitoring;
using GradGen.Optim;
using GradGen.Samples.FashionMnist;
using GradGen.Training;

namespace GradGen.Dashboard.Tests;

/// <summary>A short training run of the FashionMnist sample's network on the first images of its embedded split,
/// with a <see cref="Recorder"/> keeping what the monitor held at each sampled step: the expected values.</summary>
internal sealed class ShortRun
{
    public ShortRun(int sampleEvery)
    {
        Network = new FashionClassifier(maxBatch: 64, seed: 7);
        Monitor = Network.Monitor!;
        Monitor.Enabled = true;
        Monitor.SampleEvery = sampleEvery;
        Monitor.AddObserver(Recorder);
    }

    public FashionClassifier Network { get; }
    public NetworkMonitor Monitor { get; }
    public Recorder Recorder { get; } = new();

    /// <summary>Trains <paramref name="epochs"/> epochs over <paramref name="images"/> images, recording each epoch in <paramref name="run"/>.</summary>
    public void Train(RunFeed? run, int images, int batch, int epochs)
    {
        var data = TrainingData.Load(null, forceEmbedded: true);
        DataSet train = data.Train.Slice(0, images), evaluation = data.Evaluation.Slice(0, 500);
        var (mean, std) = train.ComputeMeanStd();
        train.Normalize(mean, std);
        evaluation.Normalize(mean, std);
        var batches = new BatchIterator(train, batch, shuffle: true, seed: 3);
        using var trainer = new ClassifierTrainer<FashionClassifier>(Network, new Adam<float>(Network.ParameterCount, 2e-3), threads: 1);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var result = trainer.TrainEpoch(batches);
            var eval = trainer.Evaluate(evaluation);
            run?.RecordEpoch(epoch, Monitor.Step, result.Loss, result.Accuracy, "validation", eval.Loss, eval.Accuracy);
        }
    }
}

/// <summary>Copies of the monitor's statistics at every sampled step, by step.</summary>
internal sealed class Recorder : IMonitorObserver
{
    private readonly Dictionary<long, Sample> _samples = new();

    public void OnSample(NetworkMonitor monitor)
    {
        lock (_samples)
            _samples[monitor.Step] = new Sample(monitor.Step, monitor.Loss, monitor.Gradients.ToArray(), monitor.Activations.ToArray(),
                monitor.ParameterStatistics.ToArray(), monitor.GradientHistograms.ToArray());
    }

    public Sample this[long step]
    {
        get { lock (_samples) return _samples.TryGetValue(step, out var s) ? s : throw new KeyNotFoundException($"step {step} was not sampled"); }
    }

    public IReadOnlyList<Sample> All
    {
        get { lock (_samples) return _samples.Values.OrderBy(s => s.Step).ToList(); }
    }

    internal sealed record Sample(long Step, double Loss, GradientStatistics[] Gradients, ActivationStatistics[] Activations,
        ParameterStatistics[] Parameters, long[] Histograms);
}
