using Microsoft.CodeAnalysis;

namespace GradGen.Generators.Tests;

/// <summary>The networks of the article are valid: no diagnostic, and generated code that compiles.</summary>
public sealed class ArticleNetworkTests
{
    private static readonly Dictionary<string, string> s_networks = new()
    {
        ["MnistMlp"] = """
            [Network(784, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(256, Activation.ReLU)]
            [Dense(128, Activation.ReLU)]
            [Dense(64, Activation.ReLU)]
            [Dense(10)]
            public partial class MnistMlp;
            """,
        ["DeepSigmoid"] = """
            [Network(100, Loss = Loss.MeanSquaredError)]
            [Repeat(50)]
                [Dense(100, Activation.Sigmoid)]
            [EndRepeat]
            [Dense(1)]
            public partial class DeepSigmoid;
            """,
        ["DeepLinear"] = """
            [Network(100, Loss = Loss.MeanSquaredError)]
            [Repeat(20)]
                [Dense(100, Bias = false, WeightInit = Init.Normal, WeightStd = 0.15)]
            [EndRepeat]
            public partial class DeepLinear;
            """,
        ["ResNet50Blocks"] = """
            [Network(128, Loss = Loss.SoftmaxCrossEntropy)]
            [Repeat(50)]
                [Residual(Activation.ReLU)]
                    [Dense(128, Activation.ReLU, Name = "fc1")]
                    [Dense(128, Name = "fc2")]
                [EndResidual]
            [EndRepeat]
            [Dense(10, Name = "head")]
            public partial class ResNet50Blocks;
            """,
        ["PlainNet50Blocks"] = """
            [Network(128, Loss = Loss.SoftmaxCrossEntropy)]
            [Repeat(50)]
                [Dense(128, Activation.ReLU, Name = "fc1")]
                [Dense(128, Activation.ReLU, Name = "fc2")]
            [EndRepeat]
            [Dense(10, Name = "head")]
            public partial class PlainNet50Blocks;
            """,
        ["DenseNet"] = """
            [Network(784, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(32, Name = "initial")]
            [DenseBlock(20, 32, Activation.ReLU)]
            [Dense(10, Name = "final")]
            public partial class DenseNet;
            """,
        ["SmallInitSigmoid"] = """
            [Network(100, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)]
            [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)]
            [Dense(256, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 0.01)]
            [Dense(10, WeightInit = Init.Normal, WeightStd = 0.01)]
            public partial class SmallInitSigmoid;
            """,
    };

    public static TheoryData<string> Networks => new(s_networks.Keys);

    [Theory]
    [MemberData(nameof(Networks))]
    public async Task Article_network_has_no_error_and_its_code_compiles(string name)
    {
        // The article's networks are risky on purpose: they may get GG1xxx/GG2xxx warnings, never a GG0xxx error.
        var compilation = TestCompilation.Create("using GradGen;\n\n" + s_networks[name], name + ".cs");
        Assert.Empty((await TestCompilation.RunAnalyzerAsync(compilation)).Where(d => d.Severity == DiagnosticSeverity.Error));

        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        var (hintName, _) = run.SingleSource();
        Assert.Equal(name + ".g.cs", hintName);
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, TestCompilation.Describe(errors.Take(10)));

        // In a build the analyzer also sees the generated part, whose base class it must accept.
        Assert.Empty((await TestCompilation.RunAnalyzerAsync(run.Output)).Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Theory]
    [InlineData("MnistMlp", 784 * 256 + 256 + 256 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10)]
    [InlineData("DeepSigmoid", 50 * (100 * 100 + 100) + 100 + 1)]
    [InlineData("DeepLinear", 20 * 100 * 100)]
    [InlineData("ResNet50Blocks", 50 * 2 * (128 * 128 + 128) + 128 * 10 + 10)]
    [InlineData("DenseNet", 784 * 32 + 32 + 20 * 32 + 32 * (32 + 64 + 96 + 128 + 160 + 192 + 224 + 256 + 288 + 320 + 352 + 384 + 416 + 448 + 480 + 512 + 544 + 576 + 608 + 640) + (32 + 20 * 32) * 10 + 10)]
    public void Generated_parameter_count_matches_the_architecture(string name, int parameters)
    {
        var run = TestCompilation.RunGenerator(TestCompilation.Create("using GradGen;\n\n" + s_networks[name], name + ".cs")).AssertNoGeneratorFailure();
        Assert.Contains($"\n    public const int ParameterTotal = {parameters};\n", run.SingleSource().Text);
    }
}
