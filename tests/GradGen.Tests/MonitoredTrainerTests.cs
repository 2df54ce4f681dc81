using GradGen.Data;
using GradGen.Monitoring;
using GradGen.Optim;
using GradGen.Tests.Networks;
using GradGen.Training;

namespace GradGen.Tests;

/// <summary>The data-parallel trainer and the monitor: the statistics are the primary network's, which trains slice 0
/// of each batch and applies the update; the replicas' monitors are off.</summary>
public class MonitoredTrainerTests
{
    [Fact]
    public void WithTwoThreadsTheMainNetworkSamplesSliceZeroAndTheReplicasDoNotSample()
    {
        const int batch = 10, samples = 40;
        var rng = new Rng(3);
        var features = new float[samples * 20];
        for (int i = 0; i < features.Length; i++) features[i] = (float)rng.NextNormal();
        var labels = new int[samples];
        for (int i = 0; i < samples; i++) labels[i] = rng.NextInt(4);
        var data = new DataSet(features, labels, featureSize: 20, classes: 4);

        var network = new MonitoredSmallMlp(batch, seed: 1);
        var replicas = new List<MonitoredSmallMlp>();
        using var trainer = new ClassifierTrainer<MonitoredSmallMlp>(network, new Sgd<float>(network.ParameterCount, 0.05), threads: 2,
            maxBatch => { var r = new MonitoredSmallMlp(maxBatch); replicas.Add(r); return r; });
        trainer.TrainEpoch(new BatchIterator(data, batch, shuffle: false, seed: 0));

        var monitor = network.Monitor!;
        Assert.Equal(samples / batch, monitor.Step);
        Assert.Equal(samples / batch, monitor.History.Count);
        Assert.False(monitor.IsSampling);
        var replica = Assert.Single(replicas);
        Assert.False(replica.Monitor!.Enabled);
        Assert.Equal(0, replica.Monitor.History.Count);

        // The main network's last forward pass was slice 0 of the last batch: 5 samples, and its statistics are theirs.
        Assert.Equal(batch / 2, network.BatchSize);
        foreach (var layer in network.LayerTable)
        {
            var expected = StatisticsReference.Activations<float>(network.CopyLayerOutput(layer), network.BatchSize, layer.Width, layer.Width, layer.Saturation);
            var actual = monitor.Activations[layer.Index];
            Assert.Equal(expected.Mean, actual.Mean, 5);
            Assert.Equal(expected.Max, actual.Max);
            var g = StatisticsReference.Gradients<float>(network.CopyLayerOutputGradient(layer), network.BatchSize, layer.Width, layer.Width);
            Assert.Equal(g.L2Norm, monitor.Gradients[layer.Index].L2Norm, 5);
        }
        // The parameter statistics are of the reduced gradient: the whole batch's, which the update used.
        for (int p = 0; p < network.ParameterTable.Count; p++)
        {
            var info = network.ParameterTable[p];
            double norm = Math.Sqrt(network.Gradient(info.Name).ToArray().Sum(v => (double)v * v));
            Assert.Equal(norm, monitor.ParameterStatistics[p].GradientNorm, 5);
        }
    }
}
