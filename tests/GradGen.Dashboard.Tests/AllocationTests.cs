using GradGen.Optim;
using GradGen.Samples.FashionMnist;

namespace GradGen.Dashboard.Tests;

/// <summary>The dashboard adds nothing to a training step's allocations: the histograms count into the monitor's
/// array, and the feed's observer copies into its preallocated ring (the JSON is written on the pump's thread).</summary>
public class AllocationTests
{
    [Fact]
    public void SampledStepsAllocateNothingWithTheDashboardObserving()
    {
        const int batch = 16;
        var network = new FashionClassifier(maxBatch: batch, seed: 1);
        var monitor = network.Monitor!;
        monitor.Enabled = true;
        monitor.SampleEvery = 2;
        using var feed = new DashboardFeed();
        var run = feed.AddRun("FashionClassifier", "allocation test", monitor);
        Assert.True(monitor.CollectHistograms);
        var rng = new Rng(5);
        var x = new float[batch * network.InputSize];
        foreach (ref float v in x.AsSpan()) v = (float)rng.NextNormal();
        var y = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
        var sgd = new Sgd<float>(network.ParameterCount, 0.01);
        for (int i = 0; i < 600; i++) network.TrainStep(x, y, sgd); // past tiered compilation
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) network.TrainStep(x, y, sgd);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(monitor.Step - 1, run.LastStep); // the observer did see the sampled steps
        Assert.Equal(batch * monitor.Layers[0].Width, monitor.GradientHistogramOf(0).ToArray().Sum()); // every value of the last sampled step counted
    }
}
