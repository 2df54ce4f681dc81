namespace GradGen.Diagnostics;

/// <summary>A fix for one kind of finding. <see cref="Rule"/> and <see cref="CodeFix"/> name the GG analyzer rule and
/// its code fix (the title the IDE shows) that would have caught the problem at build time, or are null where no rule
/// can: a NaN in the data, or a learning rate, is not in the declaration.</summary>
/// <param name="Finding">The kind of finding it answers.</param>
/// <param name="Layers">The layers with that finding, comma-separated ("network" for the whole network).</param>
/// <param name="Fix">What to do, in words.</param>
/// <param name="Code">What to write: an attribute argument, or a line of code.</param>
/// <param name="Rule">The GG rule id (docs/rules/&lt;id&gt;.md), or null.</param>
/// <param name="CodeFix">The title of the rule's code fix, or null where the rule has none.</param>
/// <param name="Why">One sentence of reason.</param>
public sealed record Suggestion(FindingKind Finding, string Layers, string Fix, string Code, string? Rule, string? CodeFix, string Why)
{
    /// <inheritdoc />
    public override string ToString()
    {
        string rule = Rule is null ? "no build-time rule" : CodeFix is null ? $"{Rule} (no automatic fix)" : $"{Rule}, code fix \"{CodeFix}\"";
        var layers = Layers.Split(", ");
        string at = layers.Length <= 6 ? Layers : $"{string.Join(", ", layers[..5])} and {layers.Length - 5} more";
        string why = Why.Length == 0 ? Why : char.ToUpperInvariant(Why[0]) + Why[1..];
        return $"{Finding} at {at}: {Fix} ({Code}). {why}. [{rule}]";
    }
}

public static partial class GradientDoctor
{
    /// <summary>Concrete fixes for the findings of <paramref name="diagnosis"/>, one per kind of finding and fix, with
    /// the layers it applies to. Empty for a healthy network.</summary>
    public static IReadOnlyList<Suggestion> Suggest(Diagnosis diagnosis)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        var suggestions = new List<Suggestion>();
        bool squashing = diagnosis.Layers.Any(l => l.Activation is nameof(Activation.Sigmoid) or nameof(Activation.Tanh));
        int weightMatrices = diagnosis.Layers.Count(l => l.Weight is not null);
        foreach (var group in diagnosis.Findings.Where(f => f.Severity != Severity.Info).GroupBy(f => f.Kind))
        {
            string layers = string.Join(", ", group.Select(f => f.Layer).Distinct());
            switch (group.Key)
            {
                case FindingKind.Vanishing:
                    suggestions.Add(new(group.Key, layers, "He (Kaiming) initialisation, fitted to each layer's activation", "WeightInit = Init.KaimingNormal",
                        "GG1001", "Use WeightInit = Init.KaimingNormal",
                        "it makes each layer keep the gradient's scale, n·Var(W)·E[f′(z)²] = 1; GradientDoctor.ApplyQuickFixes does it now, at run time"));
                    if (squashing)
                        suggestions.Add(new(group.Key, layers, "ReLU or GELU in place of sigmoid or tanh", "Activation.ReLU with WeightInit = Init.KaimingNormal, or Activation.GELU",
                            "GG1001", "Use ReLU with Kaiming (He) initialisation",
                            "the sigmoid's derivative is at most 0.25, so L sigmoid layers shrink the gradient by up to 0.25^L; relu′ is 1 where the unit is active"));
                    if (weightMatrices > 10)
                        suggestions.Add(new(group.Key, layers, "residual connections", "[Repeat(n)] [Residual] … [EndResidual] [EndRepeat]",
                            "GG2001", "Wrap the repeated body in [Residual]", "x + F(x) has the Jacobian I + J_F: an identity path for the gradient through every block"));
                    suggestions.Add(new(group.Key, layers, "LayerNorm inside the stack", "[LayerNorm] after the repeated Dense", "GG1001", "Insert [LayerNorm] after this layer",
                        "it resets the activations' scale at every repetition, so the layers after it see unit-scale inputs"));
                    break;
                case FindingKind.Exploding:
                    suggestions.Add(new(group.Key, layers, "He (Kaiming) initialisation, fitted to each layer's activation", "WeightInit = Init.KaimingNormal",
                        "GG1002", "Use WeightInit = Init.KaimingNormal",
                        "weights of std g/√n multiply the signal by g per linear layer, g^L in all; He's gain makes each layer neutral; GradientDoctor.ApplyQuickFixes does it now"));
                    suggestions.Add(new(group.Key, layers, "LayerNorm inside the stack", "[LayerNorm] after the repeated Dense", "GG1002", "Insert [LayerNorm] after this layer",
                        "it bounds each layer's output scale whatever the weights"));
                    suggestions.Add(new(group.Key, layers, "gradient clipping", "network.Clipping = new ClipByNorm<float>(1.0)", null, null,
                        "it bounds the step while the cause is fixed; it does not fix the cause"));
                    suggestions.Add(new(group.Key, layers, "a lower learning rate", "divide the learning rate by 10", null, null,
                        "large gradients times a large rate move the weights out of the region where the gradient is meaningful"));
                    break;
                case FindingKind.NonFinite:
                    suggestions.Add(new(group.Key, layers, "gradient clipping and a lower learning rate", "network.Clipping = new ClipByNorm<float>(1.0); divide the learning rate by 10",
                        null, null, "a NaN after training steps usually follows an exploding step; check the input for NaN first, since no rule can see the data"));
                    suggestions.Add(new(group.Key, layers, "an initialisation that does not explode", "WeightInit = Init.KaimingNormal", "GG1002", "Use WeightInit = Init.KaimingNormal",
                        "a NaN in the first pass after initialisation comes from activations that overflow, which GG1002 forecasts"));
                    break;
                case FindingKind.NoGradient:
                    suggestions.Add(new(group.Key, layers, "use the parameter, and make the weights after it random", "WeightInit = Init.KaimingNormal on the layer after it",
                        "GG2007", "Use WeightInit = Init.KaimingNormal",
                        "zero weights pass no gradient back (dx = Wᵀ·dz = 0); a gradient that vanishes can also round to exactly 0, and then the vanishing fixes apply; if the parameter is frozen on purpose, ignore this"));
                    break;
                case FindingKind.DeadReLU:
                    suggestions.Add(new(group.Key, layers, "bias at 0 and He initialisation", "BiasInit = Init.Zeros, WeightInit = Init.KaimingNormal", "GG2006", null,
                        "a unit negative for every input gets no gradient and cannot recover; ApplyQuickFixes re-initialises it"));
                    suggestions.Add(new(group.Key, layers, "a lower learning rate, or LeakyReLU or GELU", "divide the learning rate by 10; Activation.LeakyReLU", null, null,
                        "units that die during training were pushed negative by a too-large step; LeakyReLU and GELU keep a gradient below 0"));
                    break;
                case FindingKind.LargeLoss:
                    suggestions.Add(new(group.Key, layers, "smaller initial weights, the gains scaled down together",
                        "GradientDoctor.ApplyQuickFixes(network, diagnosis, input, targets)", null, null,
                        "He's gain keeps each layer's gradient for unit-scale inputs, but an activation whose mean is not 0 (softplus, SiLU) grows the signal layer after layer; the batch-checked quick fixes try a common scale of the gains; no rule sees the loss"));
                    suggestions.Add(new(group.Key, layers, "LayerNorm inside the stack", "[LayerNorm] after the repeated Dense", null, null,
                        "it bounds each layer's output scale whatever the weights"));
                    break;
                case FindingKind.Saturated:
                    suggestions.Add(new(group.Key, layers, "ReLU or GELU in place of sigmoid or tanh", "Activation.ReLU with WeightInit = Init.KaimingNormal, or Activation.GELU",
                        "GG1001", "Use ReLU with Kaiming (He) initialisation", "a saturated unit's derivative is below 0.02: it passes almost no gradient"));
                    suggestions.Add(new(group.Key, layers, "weights at the activation's own gain", "WeightInit = Init.XavierNormal for a sigmoid, Init.KaimingNormal for tanh",
                        "GG2002", "Use WeightInit = Init.XavierNormal",
                        "larger weights push the pre-activations into the flat tails"));
                    suggestions.Add(new(group.Key, layers, "LayerNorm before the activation", "[LayerNorm] after the Dense", "GG1001", "Insert [LayerNorm] after this layer",
                        "it keeps the pre-activations near unit scale, inside the activation's steep part"));
                    break;
            }
        }
        return suggestions;
    }
}
