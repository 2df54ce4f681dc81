using System.Collections.Immutable;
using System.Linq;
using GradGen.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGen.Analyzers;

/// <summary>Reports the problems the parser and planner find in a [Network] declaration, at the attribute that
/// causes each one. The generator emits nothing for such a declaration, so these errors are what the user sees.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkDeclarationAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = DiagnosticDescriptors.All.ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var networkAttribute = start.Compilation.GetTypeByMetadataName(Parser.NetworkAttributeName);
            if (networkAttribute is null) return; // GradGen is not referenced
            start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, networkAttribute), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol networkAttribute)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, networkAttribute));
        if (attribute is null) return;

        var problems = Parser.AllProblems(Parser.Parse(type, attribute, context.CancellationToken));
        if (problems.Count == 0) return;

        var layerAttributes = Parser.LayerAttributes(type);
        var descriptors = DiagnosticDescriptors.All.ToDictionary(d => d.Id);
        foreach (var problem in problems)
        {
            var location = problem.LayerIndex >= 0 && problem.LayerIndex < layerAttributes.Count
                ? layerAttributes[problem.LayerIndex].ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation()
                : attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(descriptors[problem.Id], location ?? type.Locations.FirstOrDefault(), problem.Message));
        }
    }
}
