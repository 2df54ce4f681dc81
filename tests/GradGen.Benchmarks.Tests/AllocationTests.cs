using GradGen.Benchmarks;

namespace GradGen.Benchmarks.Tests;

/// <summary>Every variant allocates its buffers once: a training step and a forward pass allocate nothing.</summary>
public class AllocationTests
{
    public static TheoryData<BenchmarkNetwork, Variant> Cases()
    {
        var cases = new TheoryData<BenchmarkNetwork, Variant>();
        foreach (var network in Enum.GetValues<BenchmarkNetwork>())
            foreach (var variant in Enum.GetValues<Variant>())
                cases.Add(network, variant);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void StepAndInferenceAllocateNothing(BenchmarkNetwork network, Variant variant)
    {
        var net = BenchmarkNetworks.Create(network, variant, BenchmarkNetworks.StepBatch);
        var data = BenchmarkNetworks.CreateData(network, BenchmarkNetworks.StepBatch);
        ReadOnlySpan<float> one = data.Input.AsSpan(0, net.Inputs);
        net.TrainStep(data); // warm up: JIT, tiering, the Dense kernel's per-thread packing buffer
        net.Forward(one);

        // Five rounds, of which at least four must allocate nothing: an allocation in the step or the forward shows in
        // every round, while a one-off on this thread (seen once in CI: 2,920 bytes in one case of 20, at load, and not
        // reproduced in three runs alone) shows in one.
        var allocated = new long[5];
        for (int round = 0; round < allocated.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            net.TrainStep(data);
            net.Forward(data.Input);
            net.Forward(one);
            allocated[round] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.True(allocated.Count(bytes => bytes == 0) >= allocated.Length - 1,
            $"bytes allocated by a step and two forward passes, five rounds: {string.Join(", ", allocated)}");
    }
}

// Alone: MaxThreads is process-wide.
[CollectionDefinition(nameof(TwoThreadAllocationTests), DisableParallelization = true)]
public class TwoThreadAllocationCollection;

/// <summary>ThreadScalingBenchmark's two-thread step, data-parallel (the MLP at batch 128 splits its rows over two
/// threads), allocates nothing on the calling thread once the replica and the pool thread exist.</summary>
[Collection(nameof(TwoThreadAllocationTests))]
public class TwoThreadAllocationTests
{
    [Fact]
    public void TwoThreadStepAllocatesNothing()
    {
        var network = new MlpNet(128, seed: 1);
        var sgd = new GradGen.Optim.Sgd<float>(network.ParameterCount, BenchmarkNetworks.LearningRate);
        var data = BenchmarkNetworks.CreateData(BenchmarkNetwork.Mlp, 128);
        try
        {
            GradGen.Kernels.Parallelism.MaxThreads = 2;
            for (int step = 0; step < 3; step++) network.TrainStep(data.Input, data.Labels, sgd);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int step = 0; step < 5; step++) network.TrainStep(data.Input, data.Labels, sgd);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            GradGen.Kernels.Parallelism.MaxThreads = 1;
        }
    }
}
