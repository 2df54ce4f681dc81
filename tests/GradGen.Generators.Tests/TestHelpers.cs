extern alias GradGenAnalyzers;

using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.CompilerServices;
using GradGenAnalyzers::GradGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GradGen.Generators.Tests;

/// <summary>In-memory compilations against GradGen.dll and the running framework, and runs of the generator and
/// analyzer over them.</summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    /// <summary>The framework assemblies of this process (its trusted platform assemblies that live in the runtime's
    /// own directory) and GradGen.dll.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trusted
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                        && string.Equals(Path.GetDirectoryName(p), runtimeDirectory, StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location));
        return references.ToImmutableArray();
    }

    /// <summary>A library compilation of <paramref name="sources"/> (path, text).</summary>
    public static CSharpCompilation Create(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "GradGenGeneratorTestInput", // not GradGen.Generators.Tests: the generator's internals are visible to that name
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static CSharpCompilation Create(string source, string path = "Network.cs") => Create((path, source));

    public static CSharpGeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new NetworkGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once with a fresh driver.</summary>
    public static GeneratorRun RunGenerator(Compilation compilation)
    {
        GeneratorDriver driver = CreateDriver();
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver.GetRunResult(), output, diagnostics);
    }

    /// <summary>The analyzer's diagnostics on <paramref name="compilation"/>; fails if the analyzer throws.</summary>
    public static async Task<ImmutableArray<Diagnostic>> RunAnalyzerAsync(Compilation compilation)
    {
        var exceptions = new List<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (e, _, _) => { lock (exceptions) exceptions.Add(e); },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkDeclarationAnalyzer()), options);
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
        Assert.True(exceptions.Count == 0, "the analyzer threw: " + string.Join("\n", exceptions));
        return diagnostics;
    }

    /// <summary>Errors of a compilation, one per line, for assertion messages.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => d.ToString()));
}

internal sealed record GeneratorRun(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics)
{
    public GeneratorRunResult Generator => Assert.Single(Result.Results);

    /// <summary>Asserts that the generator ran without throwing: no exception in its result and no CS8785 warning.</summary>
    public GeneratorRun AssertNoGeneratorFailure()
    {
        Assert.Null(Generator.Exception);
        Assert.DoesNotContain(Diagnostics, d => d.Id == "CS8785");
        Assert.Empty(Generator.Diagnostics); // the generator reports nothing itself: problems are the analyzer's
        return this;
    }

    /// <summary>The one generated source, as text.</summary>
    public (string HintName, string Text) SingleSource()
    {
        var source = Assert.Single(Generator.GeneratedSources);
        return (source.HintName, source.SourceText.ToString());
    }
}

/// <summary>Inline markup of expected diagnostics, as in Microsoft.CodeAnalysis.Testing: <c>{|GG0002:Dense(0)|}</c>
/// expects a GG0002 on the span of <c>Dense(0)</c>. Markers may nest.</summary>
internal static class Markup
{
    public sealed record Expected(string Id, TextSpan Span);

    public static (string Source, List<Expected> Expected) Parse(string markup)
    {
        var text = new System.Text.StringBuilder();
        var open = new Stack<(string Id, int Start)>();
        var expected = new List<Expected>();
        for (int i = 0; i < markup.Length;)
        {
            if (string.CompareOrdinal(markup, i, "{|", 0, 2) == 0)
            {
                int colon = markup.IndexOf(':', i);
                open.Push((markup.Substring(i + 2, colon - i - 2), text.Length));
                i = colon + 1;
            }
            else if (string.CompareOrdinal(markup, i, "|}", 0, 2) == 0 && open.Count > 0)
            {
                var (id, start) = open.Pop();
                expected.Add(new Expected(id, TextSpan.FromBounds(start, text.Length)));
                i += 2;
            }
            else
            {
                text.Append(markup[i++]);
            }
        }
        Assert.True(open.Count == 0, "unclosed {| in markup");
        return (text.ToString(), expected.OrderBy(e => e.Span.Start).ToList());
    }
}

/// <summary>The checks of NetEscapades.EnumGenerators' TestHelpers: that a second run of the pipeline reuses every
/// tracked step, and that the values the steps hold carry nothing that would root a compilation.</summary>
internal static class IncrementalAssert
{
    public static readonly string[] TrackedSteps =
        { NetworkGenerator.TrackingNames.Models, NetworkGenerator.TrackingNames.ValidModels, NetworkGenerator.TrackingNames.ModelsWithInstrumentation };

    /// <summary>The run steps of <paramref name="stepName"/>; fails if the step was not tracked.</summary>
    public static ImmutableArray<IncrementalGeneratorRunStep> Steps(GeneratorDriverRunResult result, string stepName)
    {
        var tracked = Assert.Single(result.Results).TrackedSteps;
        Assert.True(tracked.TryGetValue(stepName, out var steps), $"step {stepName} was not tracked; tracked: {string.Join(", ", tracked.Keys)}");
        return steps;
    }

    /// <summary>Every output of the tracked steps is Cached or Unchanged, and there are as many as expected:
    /// <paramref name="models"/> declarations, of which <paramref name="validModels"/> have no problems.</summary>
    public static void AllCached(GeneratorDriverRunResult result, int models, int validModels)
    {
        foreach (string name in TrackedSteps)
        {
            int expectedOutputs = name == NetworkGenerator.TrackingNames.Models ? models : validModels;
            var outputs = Steps(result, name).SelectMany(s => s.Outputs).ToList();
            Assert.True(outputs.Count == expectedOutputs, $"{name}: {outputs.Count} outputs, expected {expectedOutputs}");
            foreach (var (value, reason) in outputs)
            {
                Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"{name}: output {value} was {reason}, expected Cached or Unchanged");
            }
        }
    }

    private static readonly Type[] s_forbidden =
    {
        typeof(Compilation), typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SyntaxReference), typeof(SemanticModel),
        typeof(Location), typeof(AttributeData), typeof(TypedConstant), typeof(SyntaxToken), typeof(SyntaxTrivia),
    };

    /// <summary>Walks the object graph of every output of every tracked step and fails on a Roslyn object, or on any
    /// type that is not a value the model is allowed to hold.</summary>
    public static void ModelsHoldOnlyValues(GeneratorDriverRunResult result)
    {
        var outputs = TrackedSteps
            .SelectMany(name => Steps(result, name).SelectMany(step => step.Outputs).Select(o => (o.Value, Path: $"{name} output")))
            .ToList();
        Assert.True(outputs.Count > 0, "no step outputs to inspect");
        foreach (var (value, path) in outputs) HoldsOnlyValues(value, path);
    }

    /// <summary>Walks <paramref name="root"/>'s fields, recursively.</summary>
    public static void HoldsOnlyValues(object root, string rootPath)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Visit(root, rootPath);

        void Visit(object? node, string path)
        {
            if (node is null) return;
            var type = node.GetType();
            foreach (var forbidden in s_forbidden)
                Assert.False(forbidden.IsAssignableFrom(type), $"{path} is a {type.FullName}, which roots the compilation");
            if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)) return;
            Assert.True(type.IsArray || type.Namespace == "GradGen.Generators.Model",
                $"{path} is a {type.FullName}: models hold only primitives, strings, enums, arrays and GradGen.Generators.Model types");
            if (!type.IsValueType && !visited.Add(node)) return;
            if (node is IEnumerable items && type.IsArray)
            {
                int i = 0;
                foreach (var item in items) Visit(item, $"{path}[{i++}]");
                return;
            }
            for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
            {
                foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                    Visit(field.GetValue(node), $"{path}.{field.Name}");
            }
        }
    }
}

/// <summary>Where this project's source folder is, for writing approved files back to it.</summary>
internal static class SourceFolder
{
    public static string Of([CallerFilePath] string callerFile = "") => Path.GetDirectoryName(callerFile)!;
}
