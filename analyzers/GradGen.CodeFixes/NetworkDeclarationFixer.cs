using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GradGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradGen.CodeFixes;

/// <summary>The mechanical fixes for the GG1xxx and GG2xxx rules. The analyzer decides which apply and puts them in the
/// diagnostic's Properties ("Fixes", and "Init" for the initialiser to set); this class only edits the attribute the
/// diagnostic is on, so it never recomputes the forecast.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NetworkDeclarationFixer))]
public sealed class NetworkDeclarationFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        RuleIds.VanishingGradients, RuleIds.ExplodingGradients, RuleIds.DeepPlainStack, RuleIds.InitActivationMismatch,
        RuleIds.SquashingBeforeLogitsLoss, RuleIds.NonNegativeRegressionHead, RuleIds.SymmetricInit);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute) continue;
            if (!diagnostic.Properties.TryGetValue(RuleIds.FixesProperty, out var fixes) || string.IsNullOrEmpty(fixes)) continue;
            diagnostic.Properties.TryGetValue(RuleIds.InitProperty, out var init);
            foreach (string fix in fixes!.Split(','))
            {
                string? title = fix switch
                {
                    RuleIds.Fixes.SwitchToReLU => "Use ReLU with Kaiming (He) initialisation",
                    RuleIds.Fixes.SetInit when init is not null => $"Use WeightInit = Init.{init}",
                    RuleIds.Fixes.RemoveActivation => "Remove the activation",
                    RuleIds.Fixes.WrapResidual => "Wrap the repeated body in [Residual]",
                    RuleIds.Fixes.InsertLayerNorm => "Insert [LayerNorm] after this layer",
                    _ => null,
                };
                if (title is null) continue;
                var document = context.Document;
                context.RegisterCodeFix(
                    CodeAction.Create(title, ct => ApplyAsync(document, attribute.Span, fix, init, ct), equivalenceKey: fix + init),
                    diagnostic);
            }
        }
    }

    private static async Task<Document> ApplyAsync(Document document, TextSpan span, string fix, string? init, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        if (root?.FindNode(span).FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute) return document;
        switch (fix)
        {
            case RuleIds.Fixes.SwitchToReLU:
            {
                var switched = AttributeEdits.ReplaceActivation(attribute, "ReLU");
                if (AttributeEdits.IsLinearLayer(attribute)) switched = AttributeEdits.SetWeightInit(switched, await InitTypeNameAsync(document, attribute, ct).ConfigureAwait(false), "KaimingNormal");
                return document.WithSyntaxRoot(root.ReplaceNode(attribute, switched));
            }
            case RuleIds.Fixes.SetInit:
                return document.WithSyntaxRoot(root.ReplaceNode(attribute,
                    AttributeEdits.SetWeightInit(attribute, await InitTypeNameAsync(document, attribute, ct).ConfigureAwait(false), init!)));
            case RuleIds.Fixes.RemoveActivation:
                return attribute.Parent is AttributeListSyntax { Attributes.Count: 1 } list && AttributeEdits.SimpleName(attribute) == "Activate"
                    ? await ApplyChangesAsync(document, AttributeEdits.RemoveList(list), ct).ConfigureAwait(false)
                    : document.WithSyntaxRoot(AttributeEdits.RemoveActivation(root, attribute));
            case RuleIds.Fixes.WrapResidual:
                return await ApplyChangesAsync(document, AttributeEdits.WrapResidual(attribute), ct).ConfigureAwait(false);
            case RuleIds.Fixes.InsertLayerNorm:
                return await ApplyChangesAsync(document, AttributeEdits.InsertAfter(attribute, AttributeEdits.Sibling(attribute, "LayerNorm")), ct).ConfigureAwait(false);
            default:
                return document;
        }
    }

    private static async Task<Document> ApplyChangesAsync(Document document, IReadOnlyList<TextChange> changes, CancellationToken ct)
    {
        if (changes.Count == 0) return document;
        var text = await document.GetTextAsync(ct).ConfigureAwait(false);
        return document.WithText(text.WithChanges(changes));
    }

    /// <summary>"Init" where GradGen.Init is in scope by that name, else "global::GradGen.Init".</summary>
    private static async Task<string> InitTypeNameAsync(Document document, AttributeSyntax attribute, CancellationToken ct)
    {
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        var found = model?.LookupNamespacesAndTypes(attribute.SpanStart, name: "Init").FirstOrDefault();
        return found is INamedTypeSymbol { TypeKind: TypeKind.Enum } e && e.ToDisplayString() == "GradGen.Init" ? "Init" : "global::GradGen.Init";
    }
}
