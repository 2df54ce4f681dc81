using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>Every gradient of every structure against float64 central differences, with
/// torch.autograd.gradcheck's defaults: eps 1e-6, |numeric − analytic| ≤ 1e-5 + 1e-3·|numeric|.</summary>
public class FiniteDifferenceTests
{
    private const double Eps = 1e-6, Atol = 1e-5, Rtol = 1e-3;
    private const int Batch = 3;

    public static TheoryData<string> Networks => new()
    {
        "mlp_relu_ce", "deep_sigmoid_mse",
        "act_sigmoid", "act_tanh", "act_relu", "act_leaky_relu", "act_gelu", "act_gelu_tanh", "act_silu", "act_softplus", "act_elu",
        "bce_logits_tanh", "deep_linear_nobias", "residual_mse", "dense_concat_ce", "layernorm_mse",
        "unfused_residual", "blocks_after_input", "nested_network", "sequential_of_blocks",
    };

    internal static Network<double> Create(string name, int maxBatch) => name switch
    {
        "unfused_residual" => new UnfusedResidual.Float64(maxBatch, seed: 11),
        "blocks_after_input" => new BlocksAfterInput.Float64(maxBatch, seed: 12),
        "nested_network" => new Container.NestedNetwork.Float64(maxBatch, seed: 13),
        "sequential_of_blocks" => new SequentialOfBlocks.Float64(maxBatch, seed: 14),
        _ => PyTorchAgreementTests.Create(name, maxBatch),
    };

    /// <summary>Random inputs and targets that fit the network's loss.</summary>
    internal static (double[] Input, Func<Network<double>, double> Loss, Action<Network<double>> Gradients) Problem(Network<double> network, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var input = new double[batch * network.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextNormal();
        switch (network)
        {
            case Network<double, int> classifier:
            {
                var labels = new int[batch];
                for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(network.OutputSize);
                return (input, _ => classifier.Evaluate(input, labels), _ => classifier.ComputeGradients(input, labels));
            }
            case Network<double, double> regressor:
            {
                var targets = new double[batch * network.OutputSize];
                for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextDouble(); // in [0, 1): valid for BCE too
                return (input, _ => regressor.Evaluate(input, targets), _ => regressor.ComputeGradients(input, targets));
            }
            default:
                throw new InvalidOperationException("the network has no loss");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void EveryGradientMatchesCentralDifferences(string name)
    {
        var network = Create(name, Batch);
        var rng = new Rng(99);
        // Fresh random parameters (not just the initialiser's) so that biases and LayerNorm scales are not trivial.
        foreach (ref double p in network.Parameters) p = 0.6 * rng.NextNormal();
        var (_, loss, gradients) = Problem(network, Batch, seed: 5);

        network.ZeroGradients();
        gradients(network);
        double[] analytic = network.Gradients.ToArray();

        int checkedCount = 0;
        var parameters = network.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + Eps;
            double plus = loss(network);
            parameters[i] = saved - Eps;
            double minus = loss(network);
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * Eps);
            var p = network.ParameterTable.First(q => i >= q.Offset && i < q.Offset + q.Length);
            Assert.True(Math.Abs(numeric - analytic[i]) <= Atol + Rtol * Math.Abs(numeric),
                $"{name} {p.Name}[{i - p.Offset}]: analytic {analytic[i]:E6}, numeric {numeric:E6}");
            checkedCount++;
        }
        Assert.Equal(network.ParameterCount, checkedCount);
        Assert.Contains(analytic, g => g != 0); // the check is not vacuous
    }
}
