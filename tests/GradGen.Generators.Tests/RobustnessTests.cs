using Microsoft.CodeAnalysis;

namespace GradGen.Generators.Tests;

/// <summary>Declarations written in unusual but legal ways give code that compiles, or a diagnostic; never broken
/// code and never silence.</summary>
public sealed class RobustnessTests
{
    [Fact]
    public void Attribute_written_over_several_lines_gives_code_that_compiles()
    {
        var run = TestCompilation.RunGenerator(TestCompilation.Create("""
            using GradGen;

            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(8,
                   Activation.ReLU, // a comment inside the attribute
                   Name = "hidden")]
            [Dense(1)]
            public partial class MultiLine;
            """)).AssertNoGeneratorFailure();
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, TestCompilation.Describe(errors));
        // the attribute is quoted on one line, without its comment
        Assert.Contains("); // [Dense(8, Activation.ReLU, Name = \"hidden\")]\n", run.SingleSource().Text);
    }

    [Fact]
    public async Task Problem_message_quotes_a_multi_line_attribute_on_one_line()
    {
        var compilation = TestCompilation.Create("""
            using GradGen;

            [Network(4, Loss = Loss.MeanSquaredError)]
            [Dense(0,
                   Activation.ReLU)]
            public partial class MultiLineProblem;
            """);
        var d = Assert.Single(await TestCompilation.RunAnalyzerAsync(compilation));
        Assert.Equal("GG0002", d.Id);
        Assert.Equal("[Dense(0, Activation.ReLU)]: the number of units must be positive, but is 0", d.GetMessage());
    }

    [Theory]
    [InlineData(65536, 65536, "(65536, 65536)")] // 2^32 elements: an int product wraps to 0
    [InlineData(46341, 46341, "(46341, 46341)")] // just over 2^31: an int product wraps negative
    [InlineData(100000, 100000, "(100000, 100000)")]
    [InlineData(536870912, 1, "(1, 536870912)")]
    public async Task Layer_too_large_to_address_is_a_diagnostic_not_broken_code(int inputs, int units, string shape)
    {
        var (source, expected) = Markup.Parse($$"""
            using GradGen;

            [{|GG0012:Network({{inputs}}, Loss = Loss.MeanSquaredError)|}]
            [Dense({{units}})]
            public partial class Huge;
            """);
        var compilation = TestCompilation.Create(source);
        var d = Assert.Single(await TestCompilation.RunAnalyzerAsync(compilation));
        Assert.Equal("GG0012", d.Id);
        Assert.Equal(expected[0].Span, d.Location.SourceSpan);
        Assert.Equal($"Network 'Huge' has more than 536870911 parameters (at \"0.weight\", shape {shape}); make its layers narrower", d.GetMessage());

        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        Assert.Empty(run.Generator.GeneratedSources);
    }

    [Fact]
    public async Task Record_cannot_be_a_network()
    {
        // A record may only derive from a record, and the generated part derives from GradGen.Network<T>.
        var (source, expected) = Markup.Parse("""
            using GradGen;

            [{|GG0010:Network(4, Loss = Loss.MeanSquaredError)|}]
            [Dense(1)]
            public partial record RecordNet;
            """);
        var compilation = TestCompilation.Create(source);
        var d = Assert.Single(await TestCompilation.RunAnalyzerAsync(compilation));
        Assert.Equal("GG0010", d.Id);
        Assert.Equal(expected[0].Span, d.Location.SourceSpan);
        Assert.Contains("'RecordNet'", d.GetMessage());
        Assert.Contains("record", d.GetMessage());
        Assert.Empty(TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure().Generator.GeneratedSources);
    }

    [Fact]
    public async Task Generated_code_compiles_without_warnings_in_a_project_with_implicit_usings()
    {
        // what `<ImplicitUsings>enable</ImplicitUsings>` adds: the generated file imports System itself as well
        const string implicitUsings = """
            global using global::System;
            global using global::System.Collections.Generic;
            global using global::System.IO;
            global using global::System.Linq;
            global using global::System.Net.Http;
            global using global::System.Threading;
            global using global::System.Threading.Tasks;
            """;
        var c = GoldenDeclarations.Get("ResidualRepeat");
        var compilation = TestCompilation.Create((c.FileName, c.Source), ("Usings.cs", implicitUsings));
        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        var problems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, TestCompilation.Describe(problems));
        Assert.Empty(await TestCompilation.RunAnalyzerAsync(run.Output));
    }

    [Fact]
    public void Networks_in_one_compilation_get_one_file_each()
    {
        var compilation = TestCompilation.Create(GoldenDeclarations.All.Select(c => (c.FileName, c.Source)).ToArray());
        var run = TestCompilation.RunGenerator(compilation).AssertNoGeneratorFailure();
        Assert.Equal(GoldenDeclarations.All.Select(c => c.HintName).Order(StringComparer.Ordinal),
            run.Generator.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, TestCompilation.Describe(errors.Take(10)));
    }
}
