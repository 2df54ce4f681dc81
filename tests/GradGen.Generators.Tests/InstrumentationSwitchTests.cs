using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGen.Generators.Tests;

/// <summary>Instrumentation is chosen per declaration, or for the project by the GradGenInstrumentation MSBuild
/// property (build_property.GradGenInstrumentation); off, it adds nothing to the generated code.</summary>
public sealed class InstrumentationSwitchTests
{
    private const string Declaration = """
        using GradGen;

        [Network(4, Loss = Loss.MeanSquaredError{0})]
        [Dense(8, Activation.Sigmoid)]
        [Dense(1)]
        public partial class Net;
        """;

    private static string Generate(string attributeTail, string? projectSetting)
    {
        var compilation = TestCompilation.Create(string.Format(System.Globalization.CultureInfo.InvariantCulture, Declaration, attributeTail));
        var options = new ProjectOptions(projectSetting is null
            ? ImmutableDictionary<string, string>.Empty
            : ImmutableDictionary<string, string>.Empty.Add("build_property.GradGenInstrumentation", projectSetting));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() }, parseOptions: TestCompilation.ParseOptions, optionsProvider: options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return Assert.Single(driver.GetRunResult().Results[0].GeneratedSources).SourceText.ToString();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("None")]
    public void OffByDefaultTheCodeHasNoInstrumentation(string? setting)
    {
        string text = Generate("", setting);
        Assert.DoesNotContain("Monitoring", text);
        Assert.DoesNotContain("EnableInstrumentation", text);
        Assert.Equal(Generate(", Instrumentation = Instrumentation.None", "All"), text);
    }

    [Theory]
    [InlineData("All", "global::GradGen.Instrumentation.All", true)]
    [InlineData("statistics", "global::GradGen.Instrumentation.Statistics", true)]
    [InlineData("AnomalyDetection", "global::GradGen.Instrumentation.AnomalyDetection", false)]
    [InlineData("Statistics, AnomalyDetection", "global::GradGen.Instrumentation.All", true)]
    public void TheProjectPropertyInstrumentsDeclarationsThatSetNothing(string setting, string flags, bool hooks)
    {
        string text = Generate("", setting);
        Assert.Contains($"EnableInstrumentation({flags}, s_layerTable)", text);
        Assert.Equal(hooks, text.Contains(" monitor.RecordActivations<T>(layer", StringComparison.Ordinal));
        Assert.Equal(hooks, text.Contains(" monitor.RecordGradients<T>(layer", StringComparison.Ordinal));
    }

    [Fact]
    public void TheDeclarationWinsOverTheProject()
    {
        string text = Generate(", Instrumentation = Instrumentation.AnomalyDetection", "All");
        Assert.Contains("EnableInstrumentation(global::GradGen.Instrumentation.AnomalyDetection, s_layerTable)", text);
        Assert.DoesNotContain("monitor.Record", text);
    }

    private sealed class ProjectOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(ImmutableDictionary<string, string>.Empty);
        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(ImmutableDictionary<string, string>.Empty);
    }

    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}
