using GradGen.Benchmarks;

namespace GradGen.Benchmarks.Tests;

/// <summary>The benchmark compares like with like: each hand-written variant, started from the generated network's
/// weights, gives the same loss, output and gradients on the same batch, and the same loss after three SGD steps.</summary>
public class VariantAgreementTests
{
    public static TheoryData<BenchmarkNetwork, Variant> Cases()
    {
        var cases = new TheoryData<BenchmarkNetwork, Variant>();
        foreach (var network in Enum.GetValues<BenchmarkNetwork>())
            foreach (var variant in new[] { Variant.HandWrittenExpert, Variant.HandWrittenIdiomatic, Variant.Naive })
                cases.Add(network, variant);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void HandWrittenVariantComputesWhatGeneratedComputes(BenchmarkNetwork network, Variant variant)
    {
        var agreement = Agreement.Measure(network, variant);
        Assert.True(agreement.Agrees, $"{agreement}; tolerance {Agreement.ToleranceOf(network):E0}");
    }

    [Fact]
    public void AWrongParameterIsCaught()
    {
        // The check itself: the same network with one weight changed must not agree.
        var generated = (GeneratedVariant)BenchmarkNetworks.Create(BenchmarkNetwork.Mlp, Variant.Generated, 4);
        var other = BenchmarkNetworks.Create(BenchmarkNetwork.Mlp, Variant.HandWrittenIdiomatic, 4);
        other.Parameters[BenchmarkNetworks.LinearShapes(BenchmarkNetwork.Mlp)[0].In * 7] += 0.5f;
        var data = BenchmarkNetworks.CreateData(BenchmarkNetwork.Mlp, 4);
        generated.ComputeGradients(data);
        other.ComputeGradients(data);
        Assert.True(Agreement.RelativeError(other.Gradients, generated.Gradients) > 100 * Agreement.Tolerance);
    }

    [Fact]
    public void FlopCountsMatchTheLayerArithmetic()
    {
        // MLP: 242,304 weights; 2 FLOPs each for the forward product, dW and dx, but the 784 → 256 layer has no dx.
        Assert.Equal(2L * 32 * (3 * 242_304 - 784 * 256), BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Mlp, 32));
        Assert.Equal(2L * 32 * 242_304, BenchmarkNetworks.ForwardFlops(BenchmarkNetwork.Mlp, 32));
        // Residual and plain: 100 layers of 128 × 128.
        Assert.Equal(2L * 32 * (3 * 100 * 128 * 128 - 128 * 128), BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Residual, 32));
        Assert.Equal(BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Residual, 32), BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Plain, 32));
        // Deep sigmoid: 20 layers of 100 × 100 and one of 100 × 1.
        Assert.Equal(2L * 32 * (3 * (20 * 100 * 100 + 100) - 100 * 100), BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.DeepSigmoid, 32));
        // Dense-concat: 784 → 32, layers reading 32, 64, …, 640 features, 672 → 10.
        long weights = 784 * 32 + 32 * 32 * (20 * 21 / 2) + 672 * 10;
        Assert.Equal(2L * 32 * (3 * weights - 784 * 32), BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.DenseConcat, 32));
    }
}
