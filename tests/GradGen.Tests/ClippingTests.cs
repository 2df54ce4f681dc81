using GradGen.Optim;
using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>Gradient clipping on a generated network: PyTorch's clip_grad_norm_ and clip_grad_value_ (Reference/clip_mlp,
/// computed by libtorch in float64), per-layer clipping and the ∞-norm against direct computations, error_if_nonfinite,
/// TrainStep's clipping and allocation.</summary>
public class ClippingTests
{
    private const double Tolerance = 1e-10;

    /// <summary>ClipMlp loaded with clip_mlp's parameters, with its unclipped gradients computed.</summary>
    /// <remarks>The file's <c>grad.*</c> tensors are not the unclipped gradients: they are byte for byte its
    /// <c>clipped_value.*</c> (the generator saved the gradients after <c>clip_grad_value_</c> had clamped them in place).
    /// Its loss, <c>total_norm</c>, <c>clipped_norm.*</c> and <c>clipped_value.*</c> are consistent with each other and
    /// with GradGen's gradients, so the loss is checked here and the gradients through what PyTorch made of them.</remarks>
    private static (ReferenceCase Case, ClipMlp.Float64 Network) Unclipped()
    {
        var c = new ReferenceCase("clip_mlp");
        var network = new ClipMlp.Float64(c.BatchSize);
        network.LoadParameters(c.File, prefix: "param.");
        double loss = PyTorchAgreementTests.ComputeGradients(network, c);
        ReferenceCase.AssertClose("clip_mlp loss", new[] { loss }, new[] { c.Scalar("loss") }, Tolerance);
        return (c, network);
    }

    [Fact]
    public void TheFilesGradTensorsAreItsValueClippedGradients()
    {
        var c = new ReferenceCase("clip_mlp");
        foreach (string p in new[] { "0.weight", "0.bias", "1.weight", "1.bias" })
            Assert.Equal(c.Tensor("clipped_value." + p), c.Tensor("grad." + p));
    }

    private static double Metadata(ReferenceCase c, string key) => double.Parse(c.File.Metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void ClipByNormReturnsPyTorchsTotalNormAndScalesAsClipGradNorm()
    {
        var (c, network) = Unclipped();
        double maxNorm = Metadata(c, "max_norm");
        Assert.True(c.Scalar("total_norm") > maxNorm, "the case must clip for the test to mean anything");
        network.Clipping = new ClipByNorm<double>(maxNorm);

        network.ClipGradients();

        ReferenceCase.AssertClose("total_norm", new[] { network.GradientNormBeforeClipping }, new[] { c.Scalar("total_norm") }, Tolerance);
        foreach (var p in network.ParameterTable)
            ReferenceCase.AssertClose($"clipped_norm.{p.Name}", network.Gradient(p.Name), c.Tensor("clipped_norm." + p.Name), Tolerance);
        Assert.Equal(maxNorm, GradientClipping.TotalNorm<double>(network.Gradients), 1e-6); // max_norm·total/(total + 1e-6)
    }

    [Fact]
    public void ClipByValueClampsAsClipGradValue()
    {
        var (c, network) = Unclipped();
        double maxAbs = network.Gradients.ToArray().Max(Math.Abs);
        var clipper = new ClipByValue<double>(Metadata(c, "clip_value"));
        Assert.True(maxAbs > clipper.ClipValue, "the case must clip for the test to mean anything");

        double returned = clipper.Clip(network.Gradients, network.ParameterTable);

        Assert.Equal(maxAbs, returned);
        foreach (var p in network.ParameterTable)
            ReferenceCase.AssertClose($"clipped_value.{p.Name}", network.Gradient(p.Name), c.Tensor("clipped_value." + p.Name), Tolerance);
        Assert.Contains(-clipper.ClipValue, network.Gradients.ToArray()); // the clamped values are ±clip_value exactly
        Assert.Contains(clipper.ClipValue, network.Gradients.ToArray());
    }

    [Fact]
    public void InfinityNormClipsByTheLargestAbsoluteGradient()
    {
        var (_, network) = Unclipped();
        double[] g = network.Gradients.ToArray();
        double maxAbs = g.Max(Math.Abs);
        const double maxNorm = 0.01;

        double total = new ClipByNorm<double>(maxNorm, double.PositiveInfinity).Clip(network.Gradients, network.ParameterTable);

        Assert.Equal(maxAbs, total);
        double coefficient = Math.Min(maxNorm / (maxAbs + 1e-6), 1);
        Assert.True(coefficient < 1);
        Assert.Equal(g.Select(x => x * coefficient).ToArray(), network.Gradients.ToArray());
    }

    [Fact]
    public void PerLayerClipsEachModulesParametersByTheirOwnNorm()
    {
        var (_, network) = Unclipped();
        double[] g = network.Gradients.ToArray();
        double Norm(params string[] names) => Math.Sqrt(names.Sum(n => network.Gradient(n).ToArray().Sum(x => x * x)));
        double norm0 = Norm("0.weight", "0.bias"), norm1 = Norm("1.weight", "1.bias");
        double maxNorm = Math.Sqrt(norm0 * norm1); // between the two: one layer is clipped and the other is not
        Assert.True(Math.Min(norm0, norm1) < maxNorm && maxNorm < Math.Max(norm0, norm1));
        var clipper = new ClipPerLayerByNorm<double>(maxNorm);

        double total = clipper.Clip(network.Gradients, network.ParameterTable);

        Assert.Equal(["0", "1"], clipper.Layers);
        Assert.Equal(norm0, clipper.LayerNorms[0], 1e-14);
        Assert.Equal(norm1, clipper.LayerNorms[1], 1e-14);
        Assert.Equal(Math.Sqrt(norm0 * norm0 + norm1 * norm1), total, 1e-14);
        foreach (var p in network.ParameterTable)
        {
            double layerNorm = p.Name.StartsWith("0.", StringComparison.Ordinal) ? norm0 : norm1;
            double coefficient = Math.Min(maxNorm / (layerNorm + 1e-6), 1);
            double[] expected = g.AsSpan(p.Offset, p.Length).ToArray().Select(x => x * coefficient).ToArray();
            ReferenceCase.AssertClose($"per-layer {p.Name}", network.Gradient(p.Name), expected, 1e-15);
        }
        Assert.Equal(maxNorm, Math.Max(Norm("0.weight", "0.bias"), Norm("1.weight", "1.bias")), 1e-6); // the clipped layer is at max_norm
    }

    [Fact]
    public void LayersAreTheParameterNamesWithoutTheirLastPart()
    {
        Assert.Equal("2", ClipPerLayerByNorm<float>.LayerOf("2.weight"));
        Assert.Equal("block0.fc1", ClipPerLayerByNorm<float>.LayerOf("block0.fc1.bias"));
        Assert.Equal("scale", ClipPerLayerByNorm<float>.LayerOf("scale"));

        // A network with nested names (a repeated residual's fc1 and fc2): each Dense is its own layer.
        var network = new ResidualMse.Float64(2, seed: 1);
        var clipper = new ClipPerLayerByNorm<double>(1);
        clipper.Clip(network.Gradients, network.ParameterTable);
        string[] expected = network.ParameterTable.Select(p => p.Name[..p.Name.LastIndexOf('.')]).Distinct().ToArray();
        Assert.Equal(expected, clipper.Layers);
        Assert.Equal(network.ParameterTable.Count, 2 * clipper.Layers.Count); // a weight and a bias each
        Assert.Contains(clipper.Layers, layer => layer.Contains('.', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ErrorIfNonfiniteThrowsNamingTheParameterAndLeavesTheGradients(double bad)
    {
        var (_, network) = Unclipped();
        network.Gradient("1.weight")[4] = bad;
        double[] before = network.Gradients.ToArray();
        IGradientClipper<double>[] clippers =
        [
            new ClipByNorm<double>(0.5, errorIfNonfinite: true),
            new ClipByNorm<double>(0.5, double.PositiveInfinity, errorIfNonfinite: true),
            new ClipPerLayerByNorm<double>(0.5, errorIfNonfinite: true),
            new AutoClip<double>(10, errorIfNonfinite: true),
        ];
        foreach (var clipper in clippers)
        {
            var error = Assert.Throws<NonFiniteGradientException>(() => clipper.Clip(network.Gradients, network.ParameterTable));
            Assert.Equal("1.weight", error.Parameter);
            Assert.Equal(4, error.Index);
            Assert.Equal(before, network.Gradients.ToArray());
        }
    }

    [Fact]
    public void WithoutErrorIfNonfiniteANaNNormSpoilsEveryGradientAsInPyTorchAndTheUpdateIsRefused()
    {
        var (c, network) = Unclipped();
        network.Gradient("0.bias")[0] = double.NaN;
        Assert.True(double.IsNaN(new ClipByNorm<double>(0.5).Clip(network.Gradients, network.ParameterTable)));
        Assert.All(network.Gradients.ToArray(), g => Assert.True(double.IsNaN(g)));

        // In TrainStep the optimizer then refuses the NaN gradients; the weights stay as they were.
        network.Clipping = new ClipByNorm<double>(0.5);
        double[] weights = network.Parameters.ToArray();
        double[] input = c.Tensor("input");
        input[0] = double.NaN;
        Assert.Throws<NonFiniteGradientException>(() => network.TrainStep(input, c.Tensor("target"), new Sgd<double>(network.ParameterCount, 0.1)));
        Assert.Equal(weights, network.Parameters.ToArray());
    }

    [Fact]
    public void TrainStepClipsBetweenTheGradientsAndTheUpdate()
    {
        var c = new ReferenceCase("clip_mlp");
        double maxNorm = Metadata(c, "max_norm"), lr = 0.1;
        var network = new ClipMlp.Float64(c.BatchSize) { Clipping = new ClipByNorm<double>(maxNorm) };
        network.LoadParameters(c.File, prefix: "param.");

        network.TrainStep(c.Tensor("input"), c.Tensor("target"), new Sgd<double>(network.ParameterCount, lr));

        Assert.Equal(c.Scalar("total_norm"), network.GradientNormBeforeClipping, 1e-12);
        foreach (var p in network.ParameterTable)
        {
            double[] w = c.Tensor("param." + p.Name), g = c.Tensor("clipped_norm." + p.Name);
            ReferenceCase.AssertClose($"{p.Name} after a clipped SGD step", network.Parameter(p.Name), w.Zip(g, (wi, gi) => wi - lr * gi).ToArray(), Tolerance);
        }
    }

    [Fact]
    public void Float32ClippingAgreesWithFloat64ToFloatPrecision()
    {
        var (c, reference) = Unclipped();
        var network = new ClipMlp(c.BatchSize);
        for (int i = 0; i < network.ParameterCount; i++) network.Gradients[i] = (float)reference.Gradients[i];

        double total = new ClipByNorm<float>(0.5).Clip(network.Gradients, network.ParameterTable);

        Assert.Equal(c.Scalar("total_norm"), total, 1e-6);
        double[] expected = network.ParameterTable.SelectMany(p => c.Tensor("clipped_norm." + p.Name)).ToArray();
        double[] actual = network.Gradients.ToArray().Select(x => (double)x).ToArray();
        ReferenceCase.AssertClose("float32 clipped gradients", actual, expected, 1e-6);
    }

    public static TheoryData<string> Clippers => new() { "norm", "norm-inf", "value", "per-layer", "autoclip" };

    private static IGradientClipper<float> MakeClipper(string name) => name switch
    {
        "norm" => new ClipByNorm<float>(0.5f),
        "norm-inf" => new ClipByNorm<float>(0.05, double.PositiveInfinity),
        "value" => new ClipByValue<float>(0.05),
        "per-layer" => new ClipPerLayerByNorm<float>(0.3),
        "autoclip" => new AutoClip<float>(10, historyCapacity: 64), // the warm-up wraps the window: removal is exercised
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Clippers))]
    public void TrainStepWithClippingAllocatesNothing(string clipper)
    {
        var c = new ReferenceCase("clip_mlp");
        var network = new ClipMlp(c.BatchSize, seed: 3) { Clipping = MakeClipper(clipper) };
        float[] input = c.Tensor("input").Select(x => (float)x).ToArray(), target = c.Tensor("target").Select(x => (float)x).ToArray();
        var sgd = new Sgd<float>(network.ParameterCount, 0.01);
        for (int i = 0; i < 1000; i++) network.TrainStep(input, target, sgd); // past tiered compilation and the first-call grouping
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) network.TrainStep(input, target, sgd);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(double.IsFinite(network.GradientNormBeforeClipping));
    }
}
