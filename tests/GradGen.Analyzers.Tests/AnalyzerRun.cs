using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGen.Analyzers.Tests;

/// <summary>The analyzer's diagnostics on a source, for tests that read a message or the properties.</summary>
internal static class AnalyzerRun
{
    /// <summary>This process's framework assemblies and GradGen.dll: what a declaration compiles against.</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && Path.GetDirectoryName(p) == runtime)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(NetworkAttribute).Assembly.Location))
            .ToImmutableArray();
    });

    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(string source)
    {
        var compilation = CSharpCompilation.Create("Test", new[] { CSharpSyntaxTree.ParseText("using GradGen;\n" + source) }, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new NetworkDeclarationAnalyzer())).GetAnalyzerDiagnosticsAsync();
    }
}
