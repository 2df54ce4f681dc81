extern alias GradGenAnalyzers;

using Microsoft.CodeAnalysis;

namespace GradGen.Generators.Tests;

/// <summary>Each declaration problem gets its GG diagnostic from the analyzer, at the attribute that causes it, and no
/// code from the generator. The expected span is marked inline: <c>{|GG0002:Dense(0)|}</c>.</summary>
public sealed class DiagnosticTests
{
    /// <summary>Case name → (markup of the declaration, fragments the message must contain).</summary>
    private static readonly Dictionary<string, (string Markup, string[] Message)> s_cases = new()
    {
        // GG0001
        ["NotPartial"] = ("""
            [{|GG0001:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Dense(2)]
            public class Plain { }
            """, new[] { "'Plain'", "partial" }),
        ["ContainingTypeNotPartial"] = ("""
            public class Outer
            {
                [{|GG0001:Network(4, Loss = Loss.MeanSquaredError)|}]
                [Dense(2)]
                public partial class Inner;
            }
            """, new[] { "'Outer'", "'Inner'", "partial" }),

        // GG0002
        ["ZeroUnits"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(8)]
            [{|GG0002:Dense(0)|}]
            public partial class ZeroUnits;
            """, new[] { "[Dense(0)]", "units", "is 0" }),
        ["NegativeUnits"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0002:Dense(-3, Activation.ReLU)|}]
            [Dense(1)]
            public partial class NegativeUnits;
            """, new[] { "[Dense(-3, Activation.ReLU)]", "units", "is -3" }),
        ["ZeroInputs"] = ("""
            [{|GG0002:Network(0, Loss = Loss.MeanSquaredError)|}]
            [Dense(1)]
            public partial class ZeroInputs;
            """, new[] { "'ZeroInputs'", "0 inputs" }),
        ["RepeatZero"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0002:Repeat(0)|}]
                [Dense(4)]
            [EndRepeat]
            public partial class RepeatZero;
            """, new[] { "[Repeat(0)]", "repeat count", "is 0" }),
        ["DenseBlockZeroLayers"] = ("""
            [Network(4, Loss = Loss.SoftmaxCrossEntropy)]
            [{|GG0002:DenseBlock(0, 8, Activation.ReLU)|}]
            [Dense(3)]
            public partial class DenseBlockZeroLayers;
            """, new[] { "[DenseBlock(0, 8, Activation.ReLU)]", "number of layers", "is 0" }),

        // GG0003
        ["ResidualChangesWidth"] = ("""
            [Network(8, Loss = Loss.MeanSquaredError)]
            [{|GG0003:Residual(Activation.ReLU)|}]
                [Dense(8, Activation.ReLU)]
                [Dense(4)]
            [EndResidual]
            public partial class ResidualChangesWidth;
            """, new[] { "[Residual(Activation.ReLU)]", "width 8 to 4", "8 units" }),

        // GG0004
        ["UnknownActivation"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0004:Dense(8, (Activation)42)|}]
            [Dense(1)]
            public partial class UnknownActivation;
            """, new[] { "[Dense(8, (Activation)42)]", "activation value 42", "GradGen.Activation" }),
        ["UnknownLoss"] = ("""
            [{|GG0004:Network(4, Loss = (Loss)9)|}]
            [Dense(1)]
            public partial class UnknownLoss;
            """, new[] { "'UnknownLoss'", "loss value 9", "GradGen.Loss" }),

        // GG0005
        ["MissingLoss"] = ("""
            [{|GG0005:Network(4)|}]
            [Dense(1)]
            public partial class MissingLoss;
            """, new[] { "'MissingLoss'", "no loss", "InferenceOnly = true" }),

        // GG0006
        ["RepeatNeverClosed"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0006:Repeat(2)|}]
                [Dense(4)]
            public partial class RepeatNeverClosed;
            """, new[] { "[Repeat(2)]", "never closed", "[EndRepeat]" }),
        ["EndResidualWithoutOpener"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(4)]
            [{|GG0006:EndResidual|}]
            public partial class EndResidualWithoutOpener;
            """, new[] { "[EndResidual]", "no [Residual] is open" }),
        ["MismatchedClosers"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Repeat(2)]
                [Residual]
                    [Dense(4)]
            [{|GG0006:EndRepeat|}]
                [EndResidual]
            public partial class MismatchedClosers;
            """, new[] { "[EndRepeat]", "[Residual]", "[EndResidual] first" }),
        ["EmptyRepeat"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0006:Repeat(3)|}]
            [EndRepeat]
            [Dense(1)]
            public partial class EmptyRepeat;
            """, new[] { "[Repeat(3)]", "empty body" }),

        // GG0007
        ["DuplicateName"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(4, Name = "fc")]
            [{|GG0007:Dense(1, Name = "fc")|}]
            public partial class DuplicateName;
            """, new[] { "'fc.weight'", "[Dense(4, Name = \"fc\")]" }),

        // GG0008
        ["NoLayers"] = ("""
            [{|GG0008:Network(4, Loss = Loss.MeanSquaredError)|}]
            public partial class NoLayers;
            """, new[] { "'NoLayers'", "no layers" }),

        // GG0009
        ["NormalWithZeroStd"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0009:Dense(1, WeightInit = Init.Normal, WeightStd = 0)|}]
            public partial class NormalWithZeroStd;
            """, new[] { "Init.Normal", "WeightStd", "is 0" }),
        ["UniformLowNotBelowHigh"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0009:Dense(1, WeightInit = Init.Uniform, WeightLow = 0.5, WeightHigh = -0.5)|}]
            public partial class UniformLowNotBelowHigh;
            """, new[] { "Init.Uniform", "WeightLow (0.5)", "WeightHigh (-0.5)" }),
        ["OrthogonalBias"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(4, WeightInit = Init.Orthogonal)]
            [{|GG0009:Dense(1, BiasInit = Init.Orthogonal)|}]
            public partial class OrthogonalBias;
            """, new[] { "BiasInit = Init.Orthogonal", "bias" }),

        // GG0010
        ["GenericClass"] = ("""
            [{|GG0010:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Dense(1)]
            public partial class GenericNet<T>;
            """, new[] { "'GenericNet'", "generic" }),
        ["StaticClass"] = ("""
            [{|GG0010:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Dense(1)]
            public static partial class StaticNet;
            """, new[] { "'StaticNet'", "static" }),
        ["BaseClass"] = ("""
            public class Base;

            [{|GG0010:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Dense(1)]
            public partial class Derived : Base;
            """, new[] { "'Derived'", "'Base'", "base class" }),

        // GG0011
        ["LayerNormZeroEpsilon"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(4)]
            [{|GG0011:LayerNorm(Epsilon = 0)|}]
            [Dense(1)]
            public partial class LayerNormZeroEpsilon;
            """, new[] { "[LayerNorm(Epsilon = 0)]", "Epsilon", "is 0" }),
        ["NameWithSpace"] = ("""
            [Network(4, Loss = Loss.MeanSquaredError)]
            [{|GG0011:Dense(1, Name = "my layer")|}]
            public partial class NameWithSpace;
            """, new[] { "\"my layer\"", "white space" }),
        ["LossAndInferenceOnly"] = ("""
            [{|GG0011:Network(4, Loss = Loss.MeanSquaredError, InferenceOnly = true)|}]
            [Dense(1)]
            public partial class LossAndInferenceOnly;
            """, new[] { "'LossAndInferenceOnly'", "Loss.MeanSquaredError", "InferenceOnly = true" }),

        // GG0012
        ["HugeRepeat"] = ("""
            [{|GG0012:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Repeat(100000)]
                [Dense(4, Activation.ReLU)]
            [EndRepeat]
            [Dense(1)]
            public partial class HugeRepeat;
            """, new[] { "'HugeRepeat'", "100000" }),
    };

    public static TheoryData<string> Cases => new(s_cases.Keys);

    private static (string Source, List<Markup.Expected> Expected) Declaration(string name) =>
        Markup.Parse("using GradGen;\n\n" + s_cases[name].Markup);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Analyzer_reports_the_problem_at_the_offending_attribute(string name)
    {
        var (source, expected) = Declaration(name);
        var compilation = TestCompilation.Create(source);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)); // the problem is GradGen's, not C#'s

        var diagnostics = (await TestCompilation.RunAnalyzerAsync(compilation)).OrderBy(d => d.Location.SourceSpan.Start).ToList();
        string all = TestCompilation.Describe(diagnostics);
        Assert.True(expected.Count == diagnostics.Count, $"expected {expected.Count} diagnostic(s), got:\n{all}");
        var tree = Assert.Single(compilation.SyntaxTrees);
        for (int i = 0; i < expected.Count; i++)
        {
            var d = diagnostics[i];
            Assert.Equal(expected[i].Id, d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Same(tree, d.Location.SourceTree);
            Assert.True(expected[i].Span == d.Location.SourceSpan,
                $"{d.Id} at '{source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}', expected at '{source.Substring(expected[i].Span.Start, expected[i].Span.Length)}'");
            string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            foreach (string fragment in s_cases[name].Message)
                Assert.True(message.Contains(fragment, StringComparison.Ordinal), $"message '{message}' does not contain '{fragment}'");
            Assert.Equal($"https://github.com/gradgen/gradgen/blob/main/docs/diagnostics.md#{d.Id.ToLowerInvariant()}", d.Descriptor.HelpLinkUri);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generator_emits_nothing_for_the_declaration_and_does_not_throw(string name)
    {
        var (source, _) = Declaration(name);
        var run = TestCompilation.RunGenerator(TestCompilation.Create(source)).AssertNoGeneratorFailure();
        Assert.Empty(run.Generator.GeneratedSources);
    }

    [Fact]
    public async Task Inference_only_network_needs_no_loss()
    {
        var compilation = TestCompilation.Create("""
            using GradGen;

            [Network(4, InferenceOnly = true)]
            [Dense(8, Activation.Tanh)]
            [Dense(2)]
            public partial class Embedder;
            """);
        Assert.Empty(await TestCompilation.RunAnalyzerAsync(compilation));
        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        var (hintName, text) = run.SingleSource();
        Assert.Equal("Embedder.g.cs", hintName);
        Assert.Contains("partial class Embedder : global::GradGen.Network<float>\n", text);
        Assert.DoesNotContain("BackwardCore", text);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public async Task Every_problem_of_a_declaration_is_reported()
    {
        // Parser problems are collected together: each at its own attribute.
        var (source, expected) = Markup.Parse("""
            using GradGen;

            [{|GG0005:Network(4)|}]
            [{|GG0002:Dense(0)|}]
            [{|GG0009:Dense(1, WeightInit = Init.Normal, WeightStd = -1)|}]
            public partial class ManyProblems;
            """);
        var diagnostics = (await TestCompilation.RunAnalyzerAsync(TestCompilation.Create(source))).OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(expected.Select(e => (e.Id, e.Span)), diagnostics.Select(d => (d.Id, d.Location.SourceSpan)));
    }

    [Fact]
    public void Every_descriptor_id_is_a_diagnostic_id_of_the_parser_and_planner()
    {
        var ids = typeof(DiagnosticIds).GetFields().Select(f => (string)f.GetValue(null)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, 13).Select(i => $"GG{i:D4}"), ids);
        var supported = new GradGenAnalyzers::GradGen.Analyzers.NetworkDeclarationAnalyzer().SupportedDiagnostics;
        var errors = supported.Where(d => d.DefaultSeverity == DiagnosticSeverity.Error).ToList();
        Assert.Equal(ids, errors.Select(d => d.Id).Order(StringComparer.Ordinal));
        // the rest are the forecast's and the design warnings (tested in tests/GradGen.Analyzers.Tests)
        Assert.All(supported.Except(errors), d => Assert.Matches("^GG[12][0-9]{3}$", d.Id));
    }
}
