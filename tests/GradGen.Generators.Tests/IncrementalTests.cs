using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using GradGen.Generators.Model;

namespace GradGen.Generators.Tests;

/// <summary>The pipeline reuses its models when nothing about a network changed, which is what keeps the IDE fast.</summary>
public sealed class IncrementalTests
{
    private const string Networks = """
        using GradGen;

        namespace App;

        [Network(4, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(8, Activation.ReLU)]
        [Dense(3)]
        public partial class Classifier;

        [Network(3, Loss = Loss.MeanSquaredError)]
        [Repeat(2)]
            [Residual(Activation.ReLU)]
                [Dense(3, Activation.Tanh, Name = "fc")]
            [EndResidual]
        [EndRepeat]
        [Dense(1)]
        public partial class Regressor;

        // a declaration with a problem is modelled too, but filtered out before emission
        [Network(2, Loss = Loss.MeanSquaredError)]
        [Dense(0)]
        public partial class Broken;
        """;

    private const string Unrelated = """
        namespace App;

        public static class Helpers
        {
            public static int Twice(int x) => 2 * x;
        }
        """;

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = TestCompilation.Create(("Networks.cs", Networks), ("Helpers.cs", Unrelated));
        GeneratorDriver driver = TestCompilation.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult();
        Assert.Null(Assert.Single(result.Results).Exception);
        Assert.Equal(new[] { "App.Classifier.g.cs", "App.Regressor.g.cs" },
            result.Results[0].GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));

        var models = IncrementalAssert.Steps(result, NetworkGenerator.TrackingNames.Models).SelectMany(s => s.Outputs).ToList();
        Assert.Equal(3, models.Count);
        Assert.All(models, o => Assert.Equal(IncrementalStepRunReason.New, o.Reason));
        return (driver, compilation);
    }

    [Fact]
    public void A_second_run_on_the_same_compilation_reuses_every_step()
    {
        var (driver, compilation) = FirstRun();
        var result = driver.RunGenerators(compilation.Clone()).GetRunResult();
        IncrementalAssert.AllCached(result, models: 3, validModels: 2);
        Assert.Equal(2, result.Results[0].GeneratedSources.Length);
    }

    [Fact]
    public void Adding_an_unrelated_file_reuses_every_step()
    {
        var (driver, compilation) = FirstRun();
        var more = CSharpSyntaxTree.ParseText("namespace App; public record Point(int X, int Y);", TestCompilation.ParseOptions, "Point.cs");
        var result = driver.RunGenerators(compilation.AddSyntaxTrees(more)).GetRunResult();
        IncrementalAssert.AllCached(result, models: 3, validModels: 2);
    }

    [Fact]
    public void Editing_an_unrelated_file_reuses_every_step()
    {
        var (driver, compilation) = FirstRun();
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == "Helpers.cs");
        var edited = old.WithChangedText(old.GetText().Replace(old.ToString().IndexOf("2 * x", StringComparison.Ordinal), 5, "x + x"));
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();
        IncrementalAssert.AllCached(result, models: 3, validModels: 2);
    }

    [Fact]
    public void Editing_a_networks_attributes_modifies_only_its_model()
    {
        var (driver, compilation) = FirstRun();
        var old = compilation.SyntaxTrees.Single(t => t.FilePath == "Networks.cs");
        string text = old.ToString();
        var edited = old.WithChangedText(old.GetText().Replace(text.IndexOf("[Dense(8, Activation.ReLU)]", StringComparison.Ordinal), "[Dense(8, Activation.ReLU)]".Length, "[Dense(16, Activation.ReLU)]"));
        var result = driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        foreach (string step in IncrementalAssert.TrackedSteps)
        {
            var outputs = IncrementalAssert.Steps(result, step).SelectMany(s => s.Outputs).ToList();
            var modified = Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
            Assert.Contains("Name = Classifier", modified.Value.ToString());
            Assert.All(outputs.Where(o => o.Reason != IncrementalStepRunReason.Modified),
                o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }

        var source = Assert.Single(result.Results[0].GeneratedSources, s => s.HintName == "App.Classifier.g.cs");
        Assert.Contains("inF: 4, outF: 16, act: default(global::GradGen.Kernels.ReLU)); // [Dense(16, Activation.ReLU)]\n", source.SourceText.ToString());
    }

    [Fact]
    public void Models_hold_no_symbols_syntax_locations_or_compilations()
    {
        var (driver, compilation) = FirstRun();
        IncrementalAssert.ModelsHoldOnlyValues(driver.GetRunResult());
        // and again after a run that reused them
        IncrementalAssert.ModelsHoldOnlyValues(driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    [Fact]
    public void The_model_walk_finds_roslyn_objects_and_foreign_types()
    {
        var tree = CSharpSyntaxTree.ParseText("class C { }", TestCompilation.ParseOptions);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => IncrementalAssert.HoldsOnlyValues(tree.GetRoot(), "root"));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => IncrementalAssert.HoldsOnlyValues(Location.None, "root"));
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => IncrementalAssert.HoldsOnlyValues(new List<string> { "x" }, "root"));
        var problem = new Problem(DiagnosticIds.NoLayers, "message", -1);
        IncrementalAssert.HoldsOnlyValues(new[] { problem }.ToEquatableArray(), "root");
    }
}
