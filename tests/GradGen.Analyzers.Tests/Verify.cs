using System.Collections.Immutable;
using GradGen.Analyzers;
using GradGen.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace GradGen.Analyzers.Tests;

/// <summary>Analyzer and code-fix tests on declarations compiled against GradGen.dll and this process's framework (no
/// reference packages are downloaded). Sources get "using GradGen;" prepended.</summary>
internal static class Verify
{
    private const string Usings = "using GradGen;\n";

    public sealed class Test : CSharpCodeFixTest<NetworkDeclarationAnalyzer, NetworkDeclarationFixer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"); // nothing to resolve: the references are added below
            TestState.AdditionalReferences.AddRange(AnalyzerRun.References);
            FixedState.AdditionalReferences.AddRange(AnalyzerRun.References);
        }
    }

    /// <summary>The analyzer reports exactly the markup's diagnostics; <paramref name="config"/> lines go into a global
    /// analyzer config (build_property.… = …, dotnet_diagnostic.… = …).</summary>
    public static Task AnalyzerAsync(string source, params string[] config) => Create(source, null, config).RunAsync();

    /// <summary>The fix with <paramref name="equivalenceKey"/> turns <paramref name="source"/> into <paramref name="fixedSource"/>,
    /// whose markup lists what the analyzer still reports after the fix (it is re-run on the fixed code). With
    /// <paramref name="fixAll"/>, every diagnostic of the document is fixed in one Fix All.</summary>
    public static Task FixAsync(string source, string fixedSource, string equivalenceKey, bool fixAll = false)
    {
        var test = Create(source, fixedSource, Array.Empty<string>());
        test.CodeActionEquivalenceKey = equivalenceKey;
        if (fixAll)
        {
            test.NumberOfFixAllIterations = 1;
            test.CodeFixTestBehaviors = CodeFixTestBehaviors.SkipFixAllInProjectCheck | CodeFixTestBehaviors.SkipFixAllInSolutionCheck;
        }
        else
        {
            test.CodeFixTestBehaviors = CodeFixTestBehaviors.SkipFixAllCheck;
            test.NumberOfIncrementalIterations = 1;
        }
        return test.RunAsync();
    }

    private static Test Create(string source, string? fixedSource, string[] config)
    {
        var test = new Test { TestCode = Usings + source };
        if (fixedSource is not null) test.FixedCode = Usings + fixedSource;
        if (config.Length > 0)
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + string.Join("\n", config) + "\n"));
        return test;
    }
}
