using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using GradGen.Generators.Model;
using Microsoft.CodeAnalysis;

namespace GradGen.Analyzers;

/// <summary>A rule's verdict on a declaration: what to report, at which attribute (−1: [Network]), and what the fixer
/// needs to know.</summary>
internal sealed record Finding(DiagnosticDescriptor Descriptor, int LayerIndex, string Message, ImmutableDictionary<string, string?> Properties)
{
    public static ImmutableDictionary<string, string?> Fixes(IEnumerable<string> fixes, string? init = null)
    {
        var properties = ImmutableDictionary<string, string?>.Empty.Add(RuleIds.FixesProperty, string.Join(",", fixes));
        return init is null ? properties : properties.Add(RuleIds.InitProperty, init);
    }
}

/// <summary>The GG1xxx thresholds: build properties GradGenVanishingThreshold and GradGenExplodingThreshold.</summary>
internal readonly record struct Thresholds(double Vanishing, double Exploding)
{
    public static Thresholds Default => new(1e-3, 1e3);
}

internal static class Format
{
    /// <summary>2.9e-11, 0.12, 3.4e+05: a scale, in as few characters as it needs.</summary>
    public static string Scale(double value) =>
        double.IsPositiveInfinity(value) ? "∞"
        : value == 0 ? "0"
        : value >= 0.01 && value < 1000 ? value.ToString("0.###", CultureInfo.InvariantCulture)
        : value.ToString("0.#e-0", CultureInfo.InvariantCulture);

    public static string Attribute(NetworkModel model, int layerIndex) =>
        layerIndex >= 0 ? "[" + model.Layers[layerIndex].Source + "]" : "[Network]";

    /// <summary>The Init member whose variance suits the activation: Kaiming (He) in fan-in mode with the activation's gain,
    /// or Xavier for the sigmoid, whose gain is 1 and whose derivative peaks at ¼.</summary>
    public static string MatchingInit(ActivationKind activation) =>
        activation == ActivationKind.Sigmoid ? "XavierNormal" : "KaimingNormal";
}
