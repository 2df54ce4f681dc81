using System.Linq;
using System.Text;
using GradGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GradGen.Generators;

/// <summary>Writes each [Network] class's forward pass, loss and backward pass. The pipeline only: parsing is in
/// <see cref="Parser"/>, planning in <see cref="Planner"/>, writing in <see cref="Emitter"/>.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps, which the caching tests look up.</summary>
    public static class TrackingNames
    {
        public const string Models = "GradGen.Models";
        public const string ValidModels = "GradGen.ValidModels";
        public const string ProjectInstrumentation = "GradGen.ProjectInstrumentation";
        public const string ModelsWithInstrumentation = "GradGen.ModelsWithInstrumentation";
    }

    /// <summary>A class whose partial declarations carry [Network] twice (the compiler reports CS0579) is modelled
    /// once, from the first: two models would add the same file twice and crash the generator.</summary>
    private static bool FirstNetworkAttribute(GeneratorAttributeSyntaxContext ctx)
    {
        var here = ctx.Attributes[0].ApplicationSyntaxReference;
        var first = ctx.TargetSymbol.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == Parser.NetworkAttributeName)
            .Select(a => a.ApplicationSyntaxReference)
            .Where(r => r is not null)
            .OrderBy(r => r!.SyntaxTree.FilePath, System.StringComparer.Ordinal)
            .ThenBy(r => r!.Span.Start)
            .FirstOrDefault();
        return first is null || here is null || (first.SyntaxTree == here.SyntaxTree && first.Span == here.Span);
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (ctx, ct) => FirstNetworkAttribute(ctx)
                    ? Parser.Parse((INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct)
                    : null)
            .WithTrackingName(TrackingNames.Models);

        // A declaration with problems gets no code; the analyzer reports the problems as GG diagnostics. The parser's
        // problems are filtered here; the planner's (found while planning, which the emitter does once) make Emit
        // return null.
        var valid = models
            .Where(static m => m is { Problems.Count: 0 })
            .Select(static (m, _) => m!)
            .WithTrackingName(TrackingNames.ValidModels);

        // The project's default instrumentation (MSBuild property GradGenInstrumentation), for declarations that set none.
        var projectInstrumentation = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => Parser.ParseInstrumentation(
                options.GlobalOptions.TryGetValue("build_property.GradGenInstrumentation", out var value) ? value : null))
            .WithTrackingName(TrackingNames.ProjectInstrumentation);

        var resolved = valid
            .Combine(projectInstrumentation)
            .Select(static (pair, _) => pair.Left.Instrumentation == NetworkModel.InstrumentationUnset
                ? pair.Left with { Instrumentation = pair.Right }
                : pair.Left)
            .WithTrackingName(TrackingNames.ModelsWithInstrumentation);

        context.RegisterSourceOutput(resolved, static (spc, model) =>
        {
            if (Emitter.Emit(model) is { } source)
                spc.AddSource(model.FullName + ".g.cs", SourceText.From(source, Encoding.UTF8));
        });
    }
}
