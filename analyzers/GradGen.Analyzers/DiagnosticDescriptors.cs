using GradGen.Generators;
using Microsoft.CodeAnalysis;

namespace GradGen.Analyzers;

// Every GradGen rule. When a rule is added or changed, also update:
//   - generators/GradGen.Generators/DiagnosticIds.cs (the id the parser and planner use),
//   - AnalyzerReleases.Unshipped.md beside this file,
//   - docs/diagnostics.md (what the rule means and how to fix it).
internal static class DiagnosticDescriptors
{
    private const string Category = "GradGen.Declaration";

    private static DiagnosticDescriptor Error(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: $"https://github.com/gradgen/gradgen/blob/main/docs/diagnostics.md#{id.ToLowerInvariant()}");

    public static readonly DiagnosticDescriptor NotPartial = Error(DiagnosticIds.NotPartial, "Network class must be partial");
    public static readonly DiagnosticDescriptor NonPositiveSize = Error(DiagnosticIds.NonPositiveSize, "Sizes must be positive");
    public static readonly DiagnosticDescriptor ResidualWidthMismatch = Error(DiagnosticIds.ResidualWidthMismatch, "Residual block changes the width");
    public static readonly DiagnosticDescriptor UnknownValue = Error(DiagnosticIds.UnknownValue, "Unknown activation, loss or initialiser");
    public static readonly DiagnosticDescriptor MissingLoss = Error(DiagnosticIds.MissingLoss, "Network has no loss");
    public static readonly DiagnosticDescriptor UnbalancedBlock = Error(DiagnosticIds.UnbalancedBlock, "Block is not closed, or closed wrongly");
    public static readonly DiagnosticDescriptor DuplicateName = Error(DiagnosticIds.DuplicateName, "Parameter name used twice");
    public static readonly DiagnosticDescriptor NoLayers = Error(DiagnosticIds.NoLayers, "Network has no layers");
    public static readonly DiagnosticDescriptor InvalidInit = Error(DiagnosticIds.InvalidInit, "Invalid initialiser settings");
    public static readonly DiagnosticDescriptor UnsupportedClass = Error(DiagnosticIds.UnsupportedClass, "Class cannot be a network");
    public static readonly DiagnosticDescriptor InvalidValue = Error(DiagnosticIds.InvalidValue, "Invalid layer setting");
    public static readonly DiagnosticDescriptor TooLarge = Error(DiagnosticIds.TooLarge, "Network too large");
    public static readonly DiagnosticDescriptor InternalError = Error(DiagnosticIds.InternalError, "GradGen could not model the declaration");

    public static readonly DiagnosticDescriptor[] All =
    {
        NotPartial, NonPositiveSize, ResidualWidthMismatch, UnknownValue, MissingLoss, UnbalancedBlock,
        DuplicateName, NoLayers, InvalidInit, UnsupportedClass, InvalidValue, TooLarge, InternalError,
    };
}
