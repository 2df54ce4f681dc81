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

        long before = GC.GetAllocatedBytesForCurrentThread();
        net.TrainStep(data);
        net.Forward(data.Input);
        net.Forward(one);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
