using System;
using System.Collections.Generic;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Analyzers;

/// <summary>The GG2xxx design warnings, read off the declaration, its plan and its forecast. Each finding names the
/// attribute to change.</summary>
internal static class DesignRules
{
    /// <summary>GG2001 fires above this many parametrised layers in sequence without a skip.</summary>
    public const int MaxPlainDepth = 10;

    /// <summary>GG2006 fires when fewer than this share of a ReLU layer's pre-activations are forecast positive.</summary>
    public const double DeadShare = 0.25;

    public static void Find(NetworkModel model, NetworkPlan plan, NetworkForecast forecast, List<Finding> findings)
    {
        DeepPlainStack(model, plan, findings);
        InitActivationMismatch(model, findings);
        CollapsingLinearLayers(model, plan, findings);
        OutputActivation(model, plan, findings);
        DeadReLU(model, forecast, findings);
        SymmetricInit(model, findings);
    }

    // ---------------------------------------------------------------- GG2001

    /// <summary>The longest run of Dense ops outside any [Residual] or [DenseBlock]; reported on the [Repeat] that
    /// produces most of it (whose body the fix wraps), or on [Network].</summary>
    private static void DeepPlainStack(NetworkModel model, NetworkPlan plan, List<Finding> findings)
    {
        var insideSkip = InsideResidual(model);
        int run = 0, best = 0, bestEnd = -1;
        for (int i = 0; i < plan.Ops.Count; i++)
        {
            if (plan.Ops[i] is not DenseOp d) continue; // LayerNorm and activations neither count nor break the chain
            bool plain = d.Residual is null && !insideSkip[d.LayerIndex] && model.Layers[d.LayerIndex].Kind == LayerKind.Dense;
            run = plain ? run + 1 : 0;
            if (run > best) (best, bestEnd) = (run, i);
        }
        if (best <= MaxPlainDepth) return;

        // the outermost [Repeat] that produces most of the run's layers
        var outermost = OutermostRepeats(model);
        int repeat = plan.Ops.Take(bestEnd + 1).OfType<DenseOp>().Reverse().Take(best)
            .Select(d => outermost[d.LayerIndex]).Where(r => r >= 0)
            .GroupBy(r => r).OrderByDescending(g => g.Count()).Select(g => g.Key).DefaultIfEmpty(-1).First();
        var fixes = new List<string>();
        if (repeat >= 0 && PreservesWidth(plan, repeat)) fixes.Add(RuleIds.Fixes.WrapResidual);
        findings.Add(new Finding(DiagnosticDescriptors.DeepPlainStack, repeat,
            $"{best} parametrised layers run in sequence with no skip connection (more than {MaxPlainDepth}): the gradient reaching the first is a product of {best} Jacobians, "
            + "and deep plain stacks train worse than shallower ones even when that product is well scaled (He et al. 2016). "
            + (fixes.Count > 0 ? "Wrap the repeated body in [Residual] … [EndResidual], so that each block adds to an identity path." : "Add [Residual] blocks around the repeated layers (their body must keep the width)."),
            Finding.Fixes(fixes)));
    }

    /// <summary>The first repetition of the [Repeat] at <paramref name="repeat"/> maps its input width to itself, so its
    /// body can be a residual block.</summary>
    private static bool PreservesWidth(NetworkPlan plan, int repeat)
    {
        var node = Find(plan.Schedule, repeat);
        if (node is null || node.Repetitions.Count == 0) return false;
        var ops = Flatten(node.Repetitions[0]).ToList();
        return ops.Count > 0 && plan.Ops[ops[0]].Input.Width == plan.Ops[ops[ops.Count - 1]].Output.Width;
    }

    private static RepeatNode? Find(IEnumerable<ScheduleNode> nodes, int layerIndex)
    {
        foreach (var n in nodes)
        {
            if (n is not RepeatNode r) continue;
            if (r.LayerIndex == layerIndex) return r;
            foreach (var repetition in r.Repetitions)
                if (Find(repetition, layerIndex) is { } inner) return inner;
        }
        return null;
    }

    private static IEnumerable<int> Flatten(IEnumerable<ScheduleNode> nodes) =>
        nodes.SelectMany(n => n is OpNode o ? new[] { o.Op } : Flatten(((RepeatNode)n).Repetitions.SelectMany(r => r)));

    /// <summary>For each attribute, the outermost [Repeat] around it, or −1.</summary>
    private static int[] OutermostRepeats(NetworkModel model)
    {
        var outermost = new int[model.Layers.Count];
        var open = new Stack<int>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            if (model.Layers[i].Kind == LayerKind.EndRepeat && open.Count > 0) open.Pop();
            outermost[i] = open.Count > 0 ? open.Last() : -1;
            if (model.Layers[i].Kind == LayerKind.Repeat) open.Push(i);
        }
        return outermost;
    }

    private static bool[] InsideResidual(NetworkModel model)
    {
        var inside = new bool[model.Layers.Count];
        int depth = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            if (model.Layers[i].Kind == LayerKind.Residual) depth++;
            else if (model.Layers[i].Kind == LayerKind.EndResidual) depth--;
            inside[i] = depth > 0;
        }
        return inside;
    }

    // ---------------------------------------------------------------- GG2002

    private static void InitActivationMismatch(NetworkModel model, List<Finding> findings)
    {
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            if (layer.Kind is not (LayerKind.Dense or LayerKind.DenseBlock)) continue;
            var init = layer.WeightInit;
            bool reluLike = layer.Activation is ActivationKind.ReLU or ActivationKind.LeakyReLU;
            string? why = null;
            if (reluLike && init.Kind is InitKind.XavierNormal or InitKind.XavierUniform)
                why = $"Xavier initialisation sets Var(W) = {(double.IsNaN(init.A) ? "" : Format.Scale(init.A) + "²·")}2/(fan_in + fan_out), derived for activations with f′(0) = 1; "
                      + $"{Activations.Of(layer.Activation).Name} passes E[f(z)²] = ½·Var z, so each layer halves the signal's mean square and the gradient's (2^(−L/2) in norm after L layers). "
                      + "Kaiming (He) initialisation, Var(W) = 2/fan_in, keeps both";
            else if (layer.Activation is ActivationKind.Sigmoid or ActivationKind.Tanh && init.Kind is InitKind.KaimingNormal or InitKind.KaimingUniform
                     && !double.IsNaN(init.A) && init.A > 1.2 * Activations.Gain(layer.Activation, layer.Slope))
                why = $"WeightGain = {Format.Scale(init.A)} is a ReLU gain (calculate_gain('relu') = √2); {Activations.Of(layer.Activation).Name} is saturating and its own gain is "
                      + $"{Format.Scale(Activations.Gain(layer.Activation, layer.Slope))}: the larger weights push its pre-activations into the flat tails, where f′ ≈ 0";
            if (why is null) continue;
            string matching = Format.MatchingInit(layer.Activation);
            if (init.Kind == InitKind.XavierUniform || init.Kind == InitKind.KaimingUniform) matching = matching.Replace("Normal", "Uniform");
            findings.Add(new Finding(DiagnosticDescriptors.InitActivationMismatch, i,
                $"{Format.Attribute(model, i)}: {why}; use WeightInit = Init.{matching} with its default gain.", Finding.Fixes(new[] { RuleIds.Fixes.SetInit }, matching)));
        }
    }

    // ---------------------------------------------------------------- GG2003

    /// <summary>A Dense without activation (and without a skip added) whose output only feeds the next Dense.</summary>
    private static void CollapsingLinearLayers(NetworkModel model, NetworkPlan plan, List<Finding> findings)
    {
        var reported = new HashSet<int>();
        for (int i = 0; i + 1 < plan.Ops.Count; i++)
        {
            if (plan.Ops[i] is not DenseOp { Activation.Kind: ActivationKind.Identity, Residual: null } a) continue;
            if (plan.Ops[i + 1] is not DenseOp b || b.Input != a.Output) continue;
            bool readElsewhere = plan.Ops.Any(o => !ReferenceEquals(o, b) && (o.Input.Buffer == a.Output.Buffer || o.Residual?.Buffer == a.Output.Buffer));
            if (readElsewhere || model.Layers[a.LayerIndex].Kind != LayerKind.Dense || !reported.Add(a.LayerIndex)) continue;
            findings.Add(new Finding(DiagnosticDescriptors.CollapsingLinearLayers, a.LayerIndex,
                $"{Format.Attribute(model, a.LayerIndex)} has no activation and feeds {Format.Attribute(model, b.LayerIndex)} directly: W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂) "
                + "is one affine map, so the pair adds parameters but no expressive power; give the first layer an activation, or merge the two.",
                Finding.Fixes(Array.Empty<string>())));
        }
    }

    // ---------------------------------------------------------------- GG2004, GG2005

    private static void OutputActivation(NetworkModel model, NetworkPlan plan, List<Finding> findings)
    {
        var last = plan.Ops[plan.Ops.Count - 1];
        if (last.Output != plan.Output) return;
        ActivationPlan? act = last switch { DenseOp d => d.Activation, ActivateOp a => a.Activation, _ => null };
        if (act is not { } activation || activation.Kind == ActivationKind.Identity) return;
        int layerIndex = last is DenseOp { Residual: not null } ? EnclosingResidual(model, last.LayerIndex) : last.LayerIndex;
        var info = Activations.Of(activation.Kind);
        var fix = Finding.Fixes(new[] { RuleIds.Fixes.RemoveActivation });
        if (model.Loss is LossKind.SoftmaxCrossEntropy or LossKind.BinaryCrossEntropyWithLogits && info.IsSquashing)
        {
            string loss = model.Loss == LossKind.SoftmaxCrossEntropy ? "SoftmaxCrossEntropy applies softmax" : "BinaryCrossEntropyWithLogits applies the sigmoid";
            var (low, high) = activation.Kind == ActivationKind.Sigmoid ? (0, 1) : (-1, 1);
            findings.Add(new Finding(DiagnosticDescriptors.SquashingBeforeLogitsLoss, layerIndex,
                $"{Format.Attribute(model, layerIndex)} squashes the network's output with {info.Name} before Loss.{model.Loss}, which expects logits: {loss} itself. "
                + $"The logits are confined to ({low}, {high}), so the predicted probabilities cannot approach 0 or 1, and {info.Name}′ → 0 flattens the loss's gradient; remove the activation.",
                fix));
        }
        if (model.Loss == LossKind.MeanSquaredError && info.IsNonNegative)
        {
            findings.Add(new Finding(DiagnosticDescriptors.NonNegativeRegressionHead, layerIndex,
                $"{Format.Attribute(model, layerIndex)} ends the MSE regression head with {info.Name}, which is never negative: negative targets cannot be fitted, "
                + $"and {(activation.Kind == ActivationKind.ReLU ? "where the unit is clamped at 0 it gets no gradient" : "its gradient shrinks as the output approaches its bound")}; remove the activation.",
                fix));
        }
    }

    private static int EnclosingResidual(NetworkModel model, int layerIndex)
    {
        var open = new Stack<int>();
        for (int i = 0; i < layerIndex; i++)
        {
            if (model.Layers[i].Kind == LayerKind.Residual) open.Push(i);
            else if (model.Layers[i].Kind == LayerKind.EndResidual) open.Pop();
        }
        return open.Count > 0 ? open.Peek() : layerIndex;
    }

    // ---------------------------------------------------------------- GG2006

    private static void DeadReLU(NetworkModel model, NetworkForecast forecast, List<Finding> findings)
    {
        var worst = new Dictionary<int, (double Share, double Mean, double Std)>();
        foreach (var p in forecast.PreActivations)
        {
            if (p.Activation.Kind != ActivationKind.ReLU) continue;
            double share = p.Std > 0 ? NormalCdf(p.Mean / p.Std) : p.Mean > 0 ? 1 : 0;
            if (!worst.TryGetValue(p.LayerIndex, out var w) || share < w.Share) worst[p.LayerIndex] = (share, p.Mean, p.Std);
        }
        foreach (var pair in worst.OrderBy(p => p.Key))
        {
            if (pair.Value.Share >= DeadShare) continue;
            var layer = model.Layers[pair.Key];
            string cause = layer.BiasInit.Kind == InitKind.Constant && layer.BiasInit.A < 0 ? $" with BiasValue = {Format.Scale(layer.BiasInit.A)}"
                : layer.BiasInit.Kind == InitKind.Normal && layer.BiasInit.A < 0 ? $" with BiasMean = {Format.Scale(layer.BiasInit.A)}"
                : layer.BiasInit.Kind == InitKind.Uniform && layer.BiasInit.B <= 0 ? " with a bias drawn below 0"
                : "";
            findings.Add(new Finding(DiagnosticDescriptors.DeadReLU, pair.Key,
                $"{Format.Attribute(model, pair.Key)}: its pre-activation z is forecast at mean {Format.Scale(pair.Value.Mean)}, std {Format.Scale(pair.Value.Std)}{cause}, "
                + $"so only {pair.Value.Share:P1} of inputs give z > 0 (P(z > 0) = Φ(mean/std)); a ReLU unit that is negative for every input passes no gradient and never recovers. "
                + "Initialise the bias at 0 or slightly above.",
                Finding.Fixes(Array.Empty<string>())));
        }
    }

    /// <summary>Φ(x) from erfc's complement, Abramowitz and Stegun 26.2.17 (|error| &lt; 7.5e-8).</summary>
    private static double NormalCdf(double x)
    {
        double t = 1 / (1 + 0.2316419 * Math.Abs(x));
        double tail = 0.3989422804014327 * Math.Exp(-0.5 * x * x)
                      * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
        return x >= 0 ? 1 - tail : tail;
    }

    // ---------------------------------------------------------------- GG2007

    private static void SymmetricInit(NetworkModel model, List<Finding> findings)
    {
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            if (layer.Kind is not (LayerKind.Dense or LayerKind.DenseBlock)) continue;
            if (layer.WeightInit.Kind is not (InitKind.Constant or InitKind.Zeros)) continue;
            int units = layer.Kind == LayerKind.Dense ? layer.Units : layer.Growth;
            if (units < 2) continue;
            string value = layer.WeightInit.Kind == InitKind.Zeros ? "0" : Format.Scale(layer.WeightInit.A);
            string init = Format.MatchingInit(layer.Activation);
            findings.Add(new Finding(DiagnosticDescriptors.SymmetricInit, i,
                $"{Format.Attribute(model, i)} initialises every weight to {value}: its {units} units compute the same function, receive the same gradient and stay identical, "
                + $"so the layer has the capacity of one unit{(layer.WeightInit.Kind == InitKind.Zeros ? ", and no gradient reaches the layers before it" : "")}; use a random initialiser such as Init.{init}.",
                Finding.Fixes(new[] { RuleIds.Fixes.SetInit }, init)));
        }
    }
}
