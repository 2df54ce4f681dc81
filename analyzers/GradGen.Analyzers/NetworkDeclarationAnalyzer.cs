using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using GradGen.Generators;
using GradGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GradGen.Analyzers;

/// <summary>Reports, at the attribute that causes each one: the problems the parser and planner find in a [Network]
/// declaration (GG0xxx errors: the generator emits nothing for such a declaration); for a declaration without
/// problems, the gradient-flow forecast's verdict (GG1xxx) and the design warnings (GG2xxx).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class NetworkDeclarationAnalyzer : DiagnosticAnalyzer
{
    public const string VanishingThresholdProperty = "build_property.GradGenVanishingThreshold";
    public const string ExplodingThresholdProperty = "build_property.GradGenExplodingThreshold";

    private static readonly Dictionary<string, DiagnosticDescriptor> s_descriptors = DiagnosticDescriptors.All.ToDictionary(d => d.Id);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = DiagnosticDescriptors.All.ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var networkAttribute = start.Compilation.GetTypeByMetadataName(Parser.NetworkAttributeName);
            if (networkAttribute is null) return; // GradGen is not referenced
            var thresholds = ReadThresholds(start.Options.AnalyzerConfigOptionsProvider.GlobalOptions);
            start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, networkAttribute, thresholds), SymbolKind.NamedType);
        });
    }

    /// <summary>The GG1xxx thresholds from the build properties, or the defaults where a property is absent or not a
    /// positive number (the vanishing one must stay below 1 and the exploding one above).</summary>
    private static Thresholds ReadThresholds(AnalyzerConfigOptions options)
    {
        double Read(string key, double fallback, bool below1) =>
            options.TryGetValue(key, out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            && v > 0 && (below1 ? v < 1 : v > 1) ? v : fallback;
        var defaults = Thresholds.Default;
        return new Thresholds(Read(VanishingThresholdProperty, defaults.Vanishing, below1: true), Read(ExplodingThresholdProperty, defaults.Exploding, below1: false));
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol networkAttribute, Thresholds thresholds)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, networkAttribute));
        if (attribute is null) return;

        var model = Parser.Parse(type, attribute, context.CancellationToken);
        var plan = model.Problems.Count > 0 ? NetworkPlan.Failed(model.Problems.ToList()) : Planner.Plan(model);
        var layerAttributes = Parser.LayerAttributes(type);

        Location LocationOf(int layerIndex) =>
            (layerIndex >= 0 && layerIndex < layerAttributes.Count
                ? layerAttributes[layerIndex].ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation()
                : attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation())
            ?? type.Locations.FirstOrDefault() ?? Location.None;

        if (plan.Problems.Count > 0)
        {
            foreach (var problem in plan.Problems)
                context.ReportDiagnostic(Diagnostic.Create(s_descriptors[problem.Id], LocationOf(problem.LayerIndex), problem.Message));
            return;
        }

        context.CancellationToken.ThrowIfCancellationRequested();
        var forecast = Forecaster.Compute(model, plan);
        var findings = new List<Finding>();
        GradientFlowRules.Find(model, forecast, thresholds, findings);
        DesignRules.Find(model, plan, forecast, findings);
        foreach (var f in findings)
            context.ReportDiagnostic(Diagnostic.Create(f.Descriptor, LocationOf(f.LayerIndex), f.Properties, f.Message));
    }
}
