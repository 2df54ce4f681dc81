using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>The float32 network (the declared class) against its float64 twin on the same weights and batch.</summary>
public class PrecisionTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Cases => PyTorchAgreementTests.Cases;

    private static Network<float> CreateFloat(string name, int maxBatch) => name switch
    {
        "mlp_relu_ce" => new MlpReluCe(maxBatch),
        "deep_sigmoid_mse" => new DeepSigmoidMse(maxBatch),
        "act_sigmoid" => new ActSigmoid(maxBatch),
        "act_tanh" => new ActTanh(maxBatch),
        "act_relu" => new ActRelu(maxBatch),
        "act_leaky_relu" => new ActLeakyRelu(maxBatch),
        "act_gelu" => new ActGelu(maxBatch),
        "act_gelu_tanh" => new ActGeluTanh(maxBatch),
        "act_silu" => new ActSilu(maxBatch),
        "act_softplus" => new ActSoftplus(maxBatch),
        "act_elu" => new ActElu(maxBatch),
        "bce_logits_tanh" => new BceLogitsTanh(maxBatch),
        "deep_linear_nobias" => new DeepLinearNoBias(maxBatch),
        "residual_mse" => new ResidualMse(maxBatch),
        "dense_concat_ce" => new DenseConcatCe(maxBatch),
        "layernorm_mse" => new LayerNormMse(maxBatch),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32AgreesWithFloat64OnTheSameWeights(string name)
    {
        var c = new ReferenceCase(name);
        var wide = PyTorchAgreementTests.Create(name, c.BatchSize);
        wide.LoadParameters(c.File, prefix: "param.");
        var narrow = CreateFloat(name, c.BatchSize);
        for (int i = 0; i < wide.ParameterCount; i++) narrow.Parameters[i] = (float)wide.Parameters[i];
        // the float network sees exactly the float-rounded weights and input, so only arithmetic precision differs
        for (int i = 0; i < wide.ParameterCount; i++) wide.Parameters[i] = narrow.Parameters[i];
        double[] input = c.Tensor("input").Select(x => (double)(float)x).ToArray();
        float[] inputF = input.Select(x => (float)x).ToArray();

        double lossWide, lossNarrow;
        if (wide is Network<double, int> wc && narrow is Network<float, int> nc)
        {
            lossWide = wc.ComputeGradients(input, c.ClassTargets);
            lossNarrow = nc.ComputeGradients(inputF, c.ClassTargets);
        }
        else
        {
            double[] target = c.Tensor("target").Select(x => (double)(float)x).ToArray();
            lossWide = ((Network<double, double>)wide).ComputeGradients(input, target);
            lossNarrow = ((Network<float, float>)narrow).ComputeGradients(inputF, target.Select(x => (float)x).ToArray());
        }

        ReferenceCase.AssertClose($"{name} output", ToDouble(narrow.Output), wide.Output, Tolerance);
        ReferenceCase.AssertClose($"{name} loss", new[] { lossNarrow }, new[] { lossWide }, Tolerance);
        foreach (var p in wide.ParameterTable)
            ReferenceCase.AssertClose($"{name} grad {p.Name}", ToDouble(narrow.Gradient(p.Name)), wide.Gradient(p.Name), Tolerance);
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
