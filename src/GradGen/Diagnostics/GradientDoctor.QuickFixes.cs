using System.Numerics;
using GradGen.Kernels;
using GradGen.Monitoring;

namespace GradGen.Diagnostics;

public static partial class GradientDoctor
{
    /// <summary>What <see cref="ApplyQuickFixes{T}"/> changed in one Dense layer: its weight was re-drawn from
    /// N(0, (gain/√fan_in)²) (Kaiming normal, the activation's gain) and its bias set to 0; RmsBefore is its root mean square before, RmsAfter the expected one after (gain/√fan_in).</summary>
    public sealed record QuickFix(string Layer, string Weight, string Activation, double Gain, double RmsBefore, double RmsAfter)
    {
        /// <inheritdoc />
        public override string ToString() =>
            FormattableString.Invariant($"{Layer}: {Weight} re-drawn with He initialisation for {Activation} (gain {Gain:G4}): RMS {RmsBefore:G3} → {RmsAfter:G3}; bias 0");
    }

    /// <summary>Repairs at run time what a re-initialisation can: when <paramref name="diagnosis"/> has a vanishing,
    /// exploding, no-gradient, dead-ReLU or saturation finding, every Dense layer's weight is re-drawn with He
    /// initialisation fitted to its activation (<see cref="FittedGain"/>) from <paramref name="seed"/>, and its
    /// bias is set to 0. A gradient's scale is a product over all layers, so all are refit, not only the flagged ones.
    /// Returns what changed (empty when nothing needed it); run <see cref="Diagnose{T, TTarget}"/> again to see the effect.
    /// Needs the layer table (any instrumentation), which says each layer's activation.</summary>
    public static IReadOnlyList<QuickFix> ApplyQuickFixes<T>(Network<T> network, Diagnosis diagnosis, ulong seed = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(diagnosis);
        if (!diagnosis.Findings.Any(f => f.Kind is FindingKind.Vanishing or FindingKind.Exploding or FindingKind.NoGradient or FindingKind.DeadReLU or FindingKind.Saturated))
            return Array.Empty<QuickFix>();
        if (network.LayerTable.Count == 0)
            throw new InvalidOperationException($"{network.GetType().Name} has no layer table, so its layers' activations are unknown: compile it with Instrumentation = Instrumentation.Statistics (or AnomalyDetection) to re-initialise it");
        var fixes = new List<QuickFix>();
        var rng = new Rng(seed);
        foreach (var layer in network.LayerTable.Where(l => l.Kind == "Dense"))
        {
            var weight = layer.Parameters.Select(network.GetParameterInfo).FirstOrDefault(p => p.Shape.Length == 2);
            if (weight is null) continue;
            var values = network.Parameter(weight.Name);
            double before = StatisticsKernels.L2Norm<T>(values) / Math.Sqrt(values.Length);
            double gain = FittedGain(layer.Activation);
            Initializers.Fill(values, Init.KaimingNormal, gain, 0, fanIn: weight.Shape[1], fanOut: weight.Shape[0], ref rng);
            foreach (var bias in layer.Parameters.Where(name => name != weight.Name)) network.Parameter(bias).Clear();
            fixes.Add(new QuickFix(layer.Name, weight.Name, layer.Activation.ToString(), gain, before, gain / Math.Sqrt(weight.Shape[1])));
        }
        return fixes;
    }

    /// <summary>The gain He initialisation uses for a layer followed by <paramref name="activation"/>: PyTorch's
    /// <c>calculate_gain</c> where it has one (<see cref="Initializers.Gain"/>: identity, sigmoid, tanh, ReLU, leaky
    /// ReLU), else the gain that keeps the gradient's scale through the layer, 1/√E[f′(z)²] for z ~ N(0, 1) (for ReLU this
    /// is PyTorch's √2). PyTorch has no gain for GELU, SiLU, softplus or ELU, and Initializers.Gain's stand-in of 1 would
    /// shrink the gradient at every such layer.</summary>
    public static double FittedGain(Activation activation)
    {
        if (activation is Activation.Identity or Activation.Sigmoid or Activation.Tanh or Activation.ReLU or Activation.LeakyReLU)
            return Initializers.Gain(activation);
        var moment = new SquaredDerivativeMoment();
        ActivationTable.Visit(activation, activation == Activation.ELU ? 1.0 : 0.01, moment);
        return 1 / Math.Sqrt(moment.Value);
    }

    /// <summary>E[f′(z)²] for z ~ N(0, 1), by the trapezoid rule on [−12, 12] in steps of 1/256: the Gaussian weight is
    /// below 1e-31 outside, and every f′ here is bounded there.</summary>
    private sealed class SquaredDerivativeMoment : IActivationVisitor
    {
        public double Value { get; private set; }

        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            const double h = 1.0 / 256;
            double sum = 0;
            for (int i = -12 * 256; i <= 12 * 256; i++)
            {
                double z = i * h;
                double d = act.Derivative(z, act.Forward(z));
                sum += d * d * Math.Exp(-0.5 * z * z);
            }
            Value = sum * h / Math.Sqrt(2 * Math.PI);
        }
    }
}
