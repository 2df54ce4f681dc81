using System;
using System.Collections.Generic;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Analyzers;

/// <summary>GG1001 and GG1002: the forecast's two ratios against the thresholds. The diagnostic goes on the attribute
/// that contributes most to the vanishing (or exploding) factor: the one the user must change.</summary>
internal static class GradientFlowRules
{
    public static void Find(NetworkModel model, NetworkForecast forecast, Thresholds thresholds, List<Finding> findings)
    {
        double g = forecast.GradientRatio, a = forecast.ActivationRatio;
        bool gradientLow = g < thresholds.Vanishing, activationLow = a < thresholds.Vanishing;
        bool gradientHigh = g > thresholds.Exploding, activationHigh = a > thresholds.Exploding;
        if (gradientLow || activationLow)
            findings.Add(Report(model, forecast, DiagnosticDescriptors.VanishingGradients, "vanishing below", thresholds.Vanishing, gradientLow, activationLow, sign: -1));
        if (gradientHigh || activationHigh)
            findings.Add(Report(model, forecast, DiagnosticDescriptors.ExplodingGradients, "exploding above", thresholds.Exploding, gradientHigh, activationHigh, sign: +1));
    }

    private static Finding Report(NetworkModel model, NetworkForecast f, Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor,
        string verdict, double threshold, bool gradient, bool activation, int sign)
    {
        // The attribute whose factor (over all its repetitions) pushes hardest in the failing direction: backward factors
        // for a gradient ratio, forward ones for an activation ratio.
        double Effect(AttributeEffect e) => sign * (gradient ? e.LogBackward : e.LogForward);
        var blamed = f.Effects.Where(e => e.LayerIndex >= 0).OrderByDescending(Effect).FirstOrDefault();
        int layerIndex = blamed is not null && Effect(blamed) > 0 ? blamed.LayerIndex : -1;

        var parts = new List<string>();
        if (gradient)
            parts.Add($"gradients reaching '{f.FirstWeight}' are forecast at {Format.Scale(f.GradientRatio)} of those at '{f.LastWeight}' ({verdict} {Format.Scale(threshold)})");
        if (activation)
            parts.Add($"the output's activations are forecast at {Format.Scale(f.ActivationRatio)} of the input's ({verdict} {Format.Scale(threshold)})");
        string message = char.ToUpperInvariant(parts[0][0]) + parts[0].Substring(1) + (parts.Count > 1 ? "; " + parts[1] : "") + ".";

        var fixes = new List<string>();
        string? init = null;
        if (layerIndex >= 0)
        {
            var layer = model.Layers[layerIndex];
            int count = Math.Max(blamed!.Count, 1);
            double factor = Math.Exp(gradient ? blamed.LogBackward : blamed.LogForward);
            message += $" {Format.Attribute(model, layerIndex)} multiplies the {(gradient ? "gradient" : "signal's mean square")} by {Format.Scale(factor)}"
                       + (count > 1 ? $" over its {count} repetitions" : "");
            var info = Activations.Of(layer.Activation);
            if (sign < 0 && info.DerivativeBound is { } bound && layer.Kind is LayerKind.Dense or LayerKind.DenseBlock or LayerKind.Residual or LayerKind.Activate)
                message += $" ({info.Name}′ ≤ {Format.Scale(bound)} ⇒ its chain of {count} derivatives is at most {Format.Scale(bound)}^{count} = {Format.Scale(Math.Pow(bound, count))})";
            message += ".";

            bool isLinear = layer.Kind is LayerKind.Dense or LayerKind.DenseBlock;
            if (isLinear && layer.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh)
                fixes.Add(RuleIds.Fixes.SwitchToReLU);
            else if (isLinear && layer.Activation != ActivationKind.Sigmoid && !IsMatched(layer))
            {
                fixes.Add(RuleIds.Fixes.SetInit);
                init = Format.MatchingInit(layer.Activation);
            }
            if (layer.Kind == LayerKind.Residual && layer.Activation != ActivationKind.Identity)
                fixes.Add(RuleIds.Fixes.RemoveActivation);
            if (layer.Kind == LayerKind.Dense && InsideRepeat(model, layerIndex))
                fixes.Add(RuleIds.Fixes.InsertLayerNorm);
        }
        return new Finding(descriptor, layerIndex, message, Finding.Fixes(fixes, init));
    }

    /// <summary>The layer already uses Kaiming with its activation's own gain (or Xavier for a sigmoid).</summary>
    private static bool IsMatched(LayerModel layer) =>
        layer.WeightInit.Kind is InitKind.KaimingNormal or InitKind.KaimingUniform && double.IsNaN(layer.WeightInit.A)
        || layer.Activation == ActivationKind.Sigmoid && layer.WeightInit.Kind is InitKind.XavierNormal or InitKind.XavierUniform;

    private static bool InsideRepeat(NetworkModel model, int layerIndex)
    {
        int depth = 0;
        for (int i = 0; i < layerIndex; i++)
        {
            if (model.Layers[i].Kind == LayerKind.Repeat) depth++;
            else if (model.Layers[i].Kind == LayerKind.EndRepeat) depth--;
        }
        return depth > 0;
    }
}
