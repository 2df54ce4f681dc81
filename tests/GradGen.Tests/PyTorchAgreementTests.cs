using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>Every forward/backward case of Reference/: GradGen's Float64 network, loaded with the case's parameters,
/// must reproduce PyTorch's output, loss and every gradient to 1e-10 relative.</summary>
public class PyTorchAgreementTests
{
    private const double Tolerance = 1e-10;

    public static TheoryData<string> Cases => new()
    {
        "mlp_relu_ce", "deep_sigmoid_mse",
        "act_sigmoid", "act_tanh", "act_relu", "act_leaky_relu", "act_gelu", "act_gelu_tanh", "act_silu", "act_softplus", "act_elu",
        "bce_logits_tanh", "deep_linear_nobias", "residual_mse", "dense_concat_ce", "layernorm_mse",
        "residual_unfused_mse", "dense_blocks_layernorm_ce", "nested_residual_layernorm_bce",
    };

    /// <summary>The declared network for a case, in float64, sized for the case's batch.</summary>
    internal static Network<double> Create(string name, int maxBatch) => name switch
    {
        "mlp_relu_ce" => new MlpReluCe.Float64(maxBatch),
        "deep_sigmoid_mse" => new DeepSigmoidMse.Float64(maxBatch),
        "act_sigmoid" => new ActSigmoid.Float64(maxBatch),
        "act_tanh" => new ActTanh.Float64(maxBatch),
        "act_relu" => new ActRelu.Float64(maxBatch),
        "act_leaky_relu" => new ActLeakyRelu.Float64(maxBatch),
        "act_gelu" => new ActGelu.Float64(maxBatch),
        "act_gelu_tanh" => new ActGeluTanh.Float64(maxBatch),
        "act_silu" => new ActSilu.Float64(maxBatch),
        "act_softplus" => new ActSoftplus.Float64(maxBatch),
        "act_elu" => new ActElu.Float64(maxBatch),
        "bce_logits_tanh" => new BceLogitsTanh.Float64(maxBatch),
        "deep_linear_nobias" => new DeepLinearNoBias.Float64(maxBatch),
        "residual_mse" => new ResidualMse.Float64(maxBatch),
        "dense_concat_ce" => new DenseConcatCe.Float64(maxBatch),
        "layernorm_mse" => new LayerNormMse.Float64(maxBatch),
        "residual_unfused_mse" => new UnfusedResidual.Float64(maxBatch),
        "dense_blocks_layernorm_ce" => new BlocksAfterInput.Float64(maxBatch),
        "nested_residual_layernorm_bce" => new Container.NestedNetwork.Float64(maxBatch),
        "optim_sgd" or "optim_sgd_momentum" or "optim_adam" or "optim_adamw" => new OptimMlp.Float64(maxBatch),
        "clip_mlp" => new ClipMlp.Float64(maxBatch),
        "hessian_linear_ce" => new HessianLinearCe.Float64(maxBatch),
        _ => throw new ArgumentException($"no network declared for case {name}"),
    };

    /// <summary>Forward, loss and backward on the case's batch; returns the loss.</summary>
    internal static double ComputeGradients(Network<double> network, ReferenceCase c)
    {
        double[] input = c.Tensor("input");
        network.ZeroGradients();
        return network switch
        {
            Network<double, int> classifier => classifier.ComputeGradients(input, c.ClassTargets),
            Network<double, double> regressor => regressor.ComputeGradients(input, c.Tensor("target")),
            _ => throw new InvalidOperationException("the network has no loss"),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputLossAndEveryGradientMatchPyTorch(string name)
    {
        var c = new ReferenceCase(name);
        var network = Create(name, c.BatchSize);
        network.LoadParameters(c.File, prefix: "param.");

        double loss = ComputeGradients(network, c);

        ReferenceCase.AssertClose($"{name} output", network.Output, c.Tensor("output"), Tolerance);
        ReferenceCase.AssertClose($"{name} loss", new[] { loss }, new[] { c.Scalar("loss") }, Tolerance);
        Assert.Equal(c.File.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), network.ParameterTable.Count);
        foreach (var p in network.ParameterTable)
            ReferenceCase.AssertClose($"{name} grad.{p.Name}", network.Gradient(p.Name), c.Tensor("grad." + p.Name), Tolerance);
    }

    [Fact]
    public void ParametersAreListedInPyTorchOrderWithPyTorchNamesAndShapes()
    {
        var c = new ReferenceCase("layernorm_mse");
        var network = new LayerNormMse.Float64(4);
        Assert.Equal(new[] { "0.weight", "0.bias", "norm.weight", "norm.bias", "1.weight", "1.bias" }, network.ParameterTable.Select(p => p.Name));
        foreach (var p in network.ParameterTable)
            Assert.Equal(c.File["param." + p.Name].Shape, p.Shape);

        var blocks = new SequentialOfBlocks(1);
        Assert.Equal(new[] { "0.weight", "0.bias", "1.fc1.weight", "1.fc1.bias", "2.fc1.weight", "2.fc1.bias", "grow0.weight", "grow0.bias", "grow1.weight", "grow1.bias", "3.weight", "3.bias" },
            blocks.ParameterTable.Select(p => p.Name));
        Assert.All(blocks.Parameter("grow1.weight").ToArray(), w => Assert.Equal(0.5f, w)); // [DenseBlock(…, WeightInit = Init.Constant, WeightValue = 0.5)]
        Assert.All(blocks.Parameter("grow0.bias").ToArray(), b => Assert.Equal(0f, b));

        var residual = new ResidualMse.Float64(1);
        Assert.Equal("0.fc1.weight", residual.ParameterTable[0].Name);
        Assert.Equal("3.fc2.bias", residual.ParameterTable[^1].Name);
    }
}
