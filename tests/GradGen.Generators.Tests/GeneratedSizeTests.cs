using System.Text.RegularExpressions;
using GradGen.Generators.Model;

namespace GradGen.Generators.Tests;

/// <summary>Generated code grows with what is declared, not with depth: a [Repeat] is a loop, and float and double
/// share one body.</summary>
public sealed class GeneratedSizeTests
{
    private static string Generate(string source)
    {
        var compilation = TestCompilation.Create("using GradGen;\n\n" + source);
        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        // the generated code must also compile
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        return run.SingleSource().Text;
    }

    private static int Lines(string text) => text.Count(c => c == '\n');

    /// <summary>Every number in the text replaced by "#": what remains is the same code with other constants. The
    /// forecast's per-layer data (one string constant, one entry per weight matrix) is dropped: it is data, on one line.</summary>
    private static string WithoutNumbers(string text) =>
        Regex.Replace(Regex.Replace(text, "FromData\\(CreateParameterTable\\(\\), \"[^\"]*\"", "FromData(CreateParameterTable(), \"…\""), "[0-9]+", "#");

    public static TheoryData<string> Bodies => new()
    {
        // a flat body: one Dense per repetition, unnamed (layers "1" … "n")
        "[Dense(8, Activation.Tanh)]",
        // a repeated module with a fused residual and named layers ("0.fc1" …)
        "[Residual(Activation.ReLU)] [Dense(8, Activation.ReLU, Name = \"fc1\")] [Dense(8, Name = \"fc2\")] [EndResidual]",
        // a repeated module holding a dense block and a LayerNorm
        "[LayerNorm(Name = \"norm\")] [DenseBlock(2, 4, Activation.ReLU)] [Dense(8, Activation.GELU, Name = \"proj\")]",
        // nested repeats
        "[Repeat(3)] [Dense(8, Activation.SiLU)] [EndRepeat] [LayerNorm]",
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void A_thousand_repetitions_generate_the_same_code_as_ten_but_for_constants(string body)
    {
        string Declaration(int n) => $"""
            [Network(8, Loss = Loss.MeanSquaredError)]
            [Dense(8, Activation.ReLU)]
            [Repeat({n})]
                {body}
            [EndRepeat]
            [Dense(2)]
            public partial class Deep;
            """;
        string ten = Generate(Declaration(10)), thousand = Generate(Declaration(1000));
        Assert.Equal(Lines(ten), Lines(thousand));
        Assert.Equal(WithoutNumbers(ten), WithoutNumbers(thousand));
        // and the loop is there: nothing was unrolled
        Assert.Contains("for (int r = ", thousand);
    }

    [Fact]
    public void Float_and_double_share_one_body_of_layer_methods_and_layers_of_one_kind_share_a_method()
    {
        string text = Generate("""
            [Network(16, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(32, Activation.ReLU)]
            [Dense(24, Activation.GELU)]
            [Dense(10)]
            public partial class Mlp;
            """);
        // Not one method per layer and precision: the ReLU and identity layers, which keep no pre-activation, share one
        // forward whatever their sizes and activations; the GELU layer keeps its pre-activation.
        Assert.Equal(2, Regex.Matches(text, @"public void \w+_Forward<TAct>\(").Count);
        Assert.Single(Regex.Matches(text, @"public void Dense_Forward<TAct>\("));
        Assert.Single(Regex.Matches(text, @"public void DenseKeepingZ_Forward<TAct>\("));
        // (in the forward pass; the data-parallel step's pass after the first layer calls the last layer's again)
        string forward = Regex.Match(text, @"public void Forward\(int B\)\s*\{(.*?)\n\s*\}", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(2, Regex.Matches(forward, @"Dense_Forward\(B, ").Count);
        // each backward reads what its activation needs: a (ReLU), z (GELU) or nothing (identity)
        Assert.Equal(3, Regex.Matches(text, @"public bool \w+_Backward<TAct>\(").Count);
        Assert.Contains("private readonly struct Layers<T>", text);
        Assert.Contains("new Layers<float>(Arena, ArenaStart, Arena, ArenaStart, maxBatch)", text);
        Assert.Contains("new Layers<double>(Arena, ArenaStart, Arena, ArenaStart, maxBatch)", text);
    }

    [Fact]
    public void Four_thousand_layers_generate_a_few_hundred_lines()
    {
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        string text = Generate("""
            [Network(8, Loss = Loss.MeanSquaredError)]
            [Repeat(4000)]
                [Dense(8, Activation.Tanh)]
            [EndRepeat]
            public partial class VeryDeep;
            """);
        Assert.True(Lines(text) < 400, $"{Lines(text)} lines generated for one repeated Dense");
        // not a timing gate (CI machines vary): a guard against an accidental quadratic pass, with a wide margin
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void The_activation_table_has_a_row_for_every_activation_in_enum_order()
    {
        Assert.True(Activations.IsComplete());
        Assert.Equal(Enum.GetNames<Activation>(), Activations.All.Select(a => a.Kind.ToString()));
    }
}
