using GradGen.Data;
using GradGen.Monitoring;
using GradGen.Optim;
using GradGen.Tests.Networks;
using GradGen.Training;

namespace GradGen.Tests;

/// <summary>The trainer on several threads and the monitor: a sampled step runs on the whole batch on the network
/// (TrainStep), so the statistics are the batch's.</summary>
[Collection(nameof(ThreadCountTests))]
public class MonitoredTrainerTests
{
    [Fact]
    public void WithTwoThreadsTheSampledStepsSeeTheWholeBatch()
    {
        const int batch = 10, samples = 40;
        var rng = new Rng(3);
        var features = new float[samples * 20];
        for (int i = 0; i < features.Length; i++) features[i] = (float)rng.NextNormal();
        var labels = new int[samples];
        for (int i = 0; i < samples; i++) labels[i] = rng.NextInt(4);
        var data = new DataSet(features, labels, featureSize: 20, classes: 4);

        var network = new MonitoredSmallMlp(batch, seed: 1);
        using var trainer = new ClassifierTrainer<MonitoredSmallMlp>(network, new Sgd<float>(network.ParameterCount, 0.05), threads: 2);
        trainer.TrainEpoch(new BatchIterator(data, batch, shuffle: false, seed: 0));

        var monitor = network.Monitor!;
        Assert.Equal(samples / batch, monitor.Step);
        Assert.Equal(samples / batch, monitor.History.Count);
        Assert.False(monitor.IsSampling);

        // The network's last forward pass was the whole last batch, and the statistics are its.
        Assert.Equal(batch, network.BatchSize);
        Assert.Equal(1, network.LastStepSlices);
        foreach (var layer in network.LayerTable)
        {
            var expected = StatisticsReference.Activations<float>(network.CopyLayerOutput(layer), network.BatchSize, layer.Width, layer.Width, layer.Saturation);
            var actual = monitor.Activations[layer.Index];
            Assert.Equal(expected.Mean, actual.Mean, 5);
            Assert.Equal(expected.Max, actual.Max);
            var g = StatisticsReference.Gradients<float>(network.CopyLayerOutputGradient(layer), network.BatchSize, layer.Width, layer.Width);
            Assert.Equal(g.L2Norm, monitor.Gradients[layer.Index].L2Norm, 5);
        }
        // The parameter statistics are of the gradient the update used.
        for (int p = 0; p < network.ParameterTable.Count; p++)
        {
            var info = network.ParameterTable[p];
            double norm = Math.Sqrt(network.Gradient(info.Name).ToArray().Sum(v => (double)v * v));
            Assert.Equal(norm, monitor.ParameterStatistics[p].GradientNorm, 5);
        }
    }
}
