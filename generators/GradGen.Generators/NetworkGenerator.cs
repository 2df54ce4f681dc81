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
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                transform: static (ctx, ct) => Parser.Parse((INamedTypeSymbol)ctx.TargetSymbol, ctx.Attributes[0], ct))
            .WithTrackingName(TrackingNames.Models);

        // A declaration with problems gets no code; the analyzer reports the problems as GG diagnostics. The parser's
        // problems are filtered here; the planner's (found while planning, which the emitter does once) make Emit
        // return null.
        var valid = models
            .Where(static m => m.Problems.Count == 0)
            .WithTrackingName(TrackingNames.ValidModels);

        context.RegisterSourceOutput(valid, static (spc, model) =>
        {
            if (Emitter.Emit(model) is { } source)
                spc.AddSource(model.FullName + ".g.cs", SourceText.From(source, Encoding.UTF8));
        });
    }
}
