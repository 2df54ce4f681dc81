using GradGen.Generators;
using Microsoft.CodeAnalysis;

namespace GradGen.Analyzers;

// Every GradGen rule. When a rule is added or changed, also update:
//   - for GG0xxx, generators/GradGen.Generators/DiagnosticIds.cs (the id the parser and planner use),
//   - AnalyzerReleases.Unshipped.md beside this file,
//   - docs/diagnostics.md (the list) and docs/rules/GGxxxx.md (the rule's page, which helpLinkUri points to),
//   - for a rule with a fix, analyzers/GradGen.CodeFixes (its FixableDiagnosticIds).
internal static class DiagnosticDescriptors
{
    private const string DeclarationCategory = "GradGen.Declaration";
    private const string GradientFlowCategory = "GradGen.GradientFlow";
    private const string DesignCategory = "GradGen.Design";

    private static string HelpLink(string id) => $"https://github.com/gradgen/gradgen/blob/main/docs/rules/{id}.md";

    private static DiagnosticDescriptor Error(string id, string title) =>
        new(id, title, "{0}", DeclarationCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: $"https://github.com/gradgen/gradgen/blob/main/docs/diagnostics.md#{id.ToLowerInvariant()}");

    private static DiagnosticDescriptor Warning(string id, string category, string title, string description) =>
        new(id, title, "{0}", category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description: description, helpLinkUri: HelpLink(id));

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

    // ---- GG1xxx: gradient-flow predictions from the forecast (Model/Forecast.cs)

    public static readonly DiagnosticDescriptor VanishingGradients = Warning(RuleIds.VanishingGradients, GradientFlowCategory,
        "Gradients or activations will vanish at initialisation",
        "The forecast of the network at initialisation puts the first weight matrix's gradient norm, or the output's norm, below the vanishing threshold (1e-3 of the last layer's, or of the input's; build property GradGenVanishingThreshold).");
    public static readonly DiagnosticDescriptor ExplodingGradients = Warning(RuleIds.ExplodingGradients, GradientFlowCategory,
        "Gradients or activations will explode at initialisation",
        "The forecast of the network at initialisation puts the first weight matrix's gradient norm, or the output's norm, above the exploding threshold (1e3 times the last layer's, or the input's; build property GradGenExplodingThreshold).");

    // ---- GG2xxx: design warnings

    public static readonly DiagnosticDescriptor DeepPlainStack = Warning(RuleIds.DeepPlainStack, DesignCategory,
        "Deep stack without skip connections",
        "More than 10 parametrised layers in sequence with no residual or dense connection around them.");
    public static readonly DiagnosticDescriptor InitActivationMismatch = Warning(RuleIds.InitActivationMismatch, DesignCategory,
        "Initialiser does not match the activation",
        "The weight initialiser's variance is derived for another activation (Xavier for tanh/sigmoid, Kaiming with gain √2 for ReLU).");
    public static readonly DiagnosticDescriptor CollapsingLinearLayers = Warning(RuleIds.CollapsingLinearLayers, DesignCategory,
        "Consecutive linear layers collapse to one",
        "A Dense layer without activation feeds another Dense layer directly: together they are one affine map.");
    public static readonly DiagnosticDescriptor SquashingBeforeLogitsLoss = Warning(RuleIds.SquashingBeforeLogitsLoss, DesignCategory,
        "Squashing activation before a loss that expects logits",
        "The loss applies softmax or sigmoid itself; squashing the logits first caps them and flattens the loss's gradient.");
    public static readonly DiagnosticDescriptor NonNegativeRegressionHead = Warning(RuleIds.NonNegativeRegressionHead, DesignCategory,
        "Non-negative activation on a regression output",
        "An MSE head whose activation cannot be negative cannot fit negative targets and gets no gradient where it is clamped.");
    public static readonly DiagnosticDescriptor DeadReLU = Warning(RuleIds.DeadReLU, DesignCategory,
        "Most ReLU units start dead",
        "The forecast pre-activation of a ReLU layer is positive for under a quarter of inputs at initialisation; a dead unit gets no gradient.");
    public static readonly DiagnosticDescriptor SymmetricInit = Warning(RuleIds.SymmetricInit, DesignCategory,
        "Constant weight initialisation does not break symmetry",
        "With every weight equal, every unit of the layer computes the same function and receives the same gradient, so they stay identical.");

    public static readonly DiagnosticDescriptor[] All =
    {
        NotPartial, NonPositiveSize, ResidualWidthMismatch, UnknownValue, MissingLoss, UnbalancedBlock,
        DuplicateName, NoLayers, InvalidInit, UnsupportedClass, InvalidValue, TooLarge, InternalError,
        VanishingGradients, ExplodingGradients,
        DeepPlainStack, InitActivationMismatch, CollapsingLinearLayers, SquashingBeforeLogitsLoss, NonNegativeRegressionHead, DeadReLU, SymmetricInit,
    };
}

/// <summary>The ids of the analyzer's own rules (the GG0xxx ids are in the generator's DiagnosticIds), and the names
/// of the properties that tell the code fixer what to do.</summary>
public static class RuleIds
{
    public const string VanishingGradients = "GG1001";
    public const string ExplodingGradients = "GG1002";
    public const string DeepPlainStack = "GG2001";
    public const string InitActivationMismatch = "GG2002";
    public const string CollapsingLinearLayers = "GG2003";
    public const string SquashingBeforeLogitsLoss = "GG2004";
    public const string NonNegativeRegressionHead = "GG2005";
    public const string DeadReLU = "GG2006";
    public const string SymmetricInit = "GG2007";

    /// <summary>Property: the fixes that apply, comma-separated names from <see cref="Fixes"/>.</summary>
    public const string FixesProperty = "Fixes";
    /// <summary>Property: the GradGen.Init member that matches the layer's activation (for <see cref="Fixes.SetInit"/>).</summary>
    public const string InitProperty = "Init";

    public static class Fixes
    {
        /// <summary>Activation → ReLU with Kaiming (He) normal initialisation.</summary>
        public const string SwitchToReLU = "SwitchToReLU";
        /// <summary>WeightInit → the Init property, dropping the other weight settings.</summary>
        public const string SetInit = "SetInit";
        /// <summary>Remove the layer's activation (or the [Activate] attribute).</summary>
        public const string RemoveActivation = "RemoveActivation";
        /// <summary>Wrap the [Repeat]'s body in [Residual] … [EndResidual].</summary>
        public const string WrapResidual = "WrapResidual";
        /// <summary>Insert [LayerNorm] after the layer.</summary>
        public const string InsertLayerNorm = "InsertLayerNorm";
    }
}
