using System.Numerics;
using GradGen.Kernels;
using GradGen.Monitoring;

namespace GradGen.Diagnostics;

public static partial class GradientDoctor
{
    /// <summary>What <see cref="ApplyQuickFixes{T}(Network{T}, Diagnosis, ulong)"/> changed in one Dense layer: its weight was re-drawn from
    /// N(0, (Gain·Scale/√fan_in)²) (Kaiming normal at the activation's gain, <see cref="FittedGain"/>, times the common
    /// <paramref name="Scale"/> that the batch-checked overload may choose; 1 otherwise) and its bias set to 0;
    /// RmsBefore is its root mean square before, RmsAfter the expected one after (Gain·Scale/√fan_in).</summary>
    public sealed record QuickFix(string Layer, string Weight, string Activation, double Gain, double RmsBefore, double RmsAfter, double Scale = 1)
    {
        /// <inheritdoc />
        public override string ToString() => Scale == 1
            ? FormattableString.Invariant($"{Layer}: {Weight} re-drawn with He initialisation for {Activation} (gain {Gain:G4}): RMS {RmsBefore:G3} → {RmsAfter:G3}; bias 0")
            : FormattableString.Invariant($"{Layer}: {Weight} re-drawn with He initialisation for {Activation} (gain {Gain:G4} × {Scale:G4}): RMS {RmsBefore:G3} → {RmsAfter:G3}; bias 0");
    }

    /// <summary>Repairs at run time what a re-initialisation can: when <paramref name="diagnosis"/> has a vanishing,
    /// exploding, no-gradient, dead-ReLU, saturation or large-loss finding, every Dense layer's weight is re-drawn with He
    /// initialisation fitted to its activation (<see cref="FittedGain"/>) from <paramref name="seed"/>, and its
    /// bias is set to 0. A gradient's scale is a product over all layers, so all are refit, not only the flagged ones.
    /// Returns what changed (empty when nothing needed it); run <see cref="Diagnose{T, TTarget}"/> again to see the effect.
    /// Needs the layer table (any instrumentation), which says each layer's activation.</summary>
    public static IReadOnlyList<QuickFix> ApplyQuickFixes<T>(Network<T> network, Diagnosis diagnosis, ulong seed = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(diagnosis);
        if (!diagnosis.Findings.Any(f => f.Kind is FindingKind.Vanishing or FindingKind.Exploding or FindingKind.NoGradient or FindingKind.DeadReLU or FindingKind.Saturated or FindingKind.LargeLoss))
            return Array.Empty<QuickFix>();
        if (network.LayerTable.Count == 0)
            throw new InvalidOperationException($"{network.GetType().Name} has no layer table, so its layers' activations are unknown: compile it with Instrumentation = Instrumentation.Statistics (or AnomalyDetection) to re-initialise it");
        return Redraw(network, seed, scale: 1, RmsOfWeights(network));
    }

    /// <summary>The common scales of the gains that <see cref="ApplyQuickFixes{T, TTarget}(Network{T, TTarget}, Diagnosis, ReadOnlySpan{T}, ReadOnlySpan{TTarget}, ulong, DoctorOptions?)"/>
    /// tries when the fitted gains alone leave problems: 2^(k/4) for k = −8, …, 8, a quarter to four times.</summary>
    internal static IEnumerable<double> TrialScales => Enumerable.Range(-8, 17).Select(k => Math.Pow(2, k / 4.0));

    /// <summary><see cref="ApplyQuickFixes{T}(Network{T}, Diagnosis, ulong)"/>, checked on a batch: after the re-draw, the network is
    /// diagnosed on <paramref name="input"/> and <paramref name="targets"/>, and if it still has a problem, every
    /// layer's gain is multiplied by one common scale, the one of <see cref="TrialScales"/> (a quarter to four times,
    /// in steps of 2^(1/4)) whose diagnosis of this batch has the fewest errors (a NaN or ±∞), then the fewest problems,
    /// then the first/last gradient ratio nearest 1. Each trial re-draws from the same <paramref name="seed"/>, so that only the scale differs.
    /// The fitted gain keeps the gradient's scale for pre-activations N(0, 1); an activation whose mean is not zero
    /// (softplus, SiLU) moves every next layer's pre-activations off that scale, and the gain that keeps the gradient of
    /// one layer then grows the signal layer after layer: a depth-30 softplus stack went from vanishing to exploding on
    /// the fitted gains alone, and neither vanishes nor explodes at 2^(−1/4) ≈ 0.84 of them; a SiLU stack's loss of 25.9
    /// for ten classes falls to 2.30 there (docs/doctor.md, "Quick fixes").
    /// The returned fixes carry the scale chosen; the network is left re-drawn with it.</summary>
    public static IReadOnlyList<QuickFix> ApplyQuickFixes<T, TTarget>(Network<T, TTarget> network, Diagnosis diagnosis,
        ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, ulong seed = 0, DoctorOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        var fixes = ApplyQuickFixes(network, diagnosis, seed); // checks both arguments
        if (fixes.Count == 0) return fixes;
        double[] before = fixes.Select(f => f.RmsBefore).ToArray(); // the declared weights', for every trial's fixes
        var score = Score(Diagnose(network, input, targets, options: options));
        if (score is { Errors: 0, Problems: 0 }) return fixes;
        double best = 1;
        foreach (double scale in TrialScales.Where(s => s != 1))
        {
            Redraw(network, seed, scale, before);
            var trial = Score(Diagnose(network, input, targets, options: options));
            if (trial.CompareTo(score) < 0) (score, best) = (trial, scale);
        }
        return Redraw(network, seed, best, before);

        // Fewer errors (a NaN or ±∞ anywhere) first, then fewer problems, then a first/last ratio nearer 1 (a NaN ratio last).
        static (int Errors, int Problems, double Distance) Score(Diagnosis d)
        {
            double distance = Math.Abs(Math.Log10(d.GradientRatio));
            return (d.Findings.Count(f => f.Severity == Severity.Error), d.Findings.Count(f => f.Severity != Severity.Info),
                double.IsFinite(distance) ? distance : double.PositiveInfinity);
        }
    }

    // Every Dense layer's weight re-drawn, Kaiming normal at its fitted gain times scale, from seed; its bias set to 0.
    private static List<QuickFix> Redraw<T>(Network<T> network, ulong seed, double scale, double[] before) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var fixes = new List<QuickFix>();
        var rng = new Rng(seed);
        foreach (var (layer, weight) in DenseWeights(network))
        {
            var values = network.Parameter(weight.Name);
            double gain = FittedGain(layer.Activation);
            Initializers.Fill(values, Init.KaimingNormal, gain * scale, 0, fanIn: weight.Shape[1], fanOut: weight.Shape[0], ref rng);
            foreach (var bias in layer.Parameters.Where(name => name != weight.Name)) network.Parameter(bias).Clear();
            fixes.Add(new QuickFix(layer.Name, weight.Name, layer.Activation.ToString(), gain, before[fixes.Count], gain * scale / Math.Sqrt(weight.Shape[1]), scale));
        }
        return fixes;
    }

    // The root mean square of every Dense layer's weight, in the order Redraw visits them.
    private static double[] RmsOfWeights<T>(Network<T> network) where T : unmanaged, IFloatingPointIeee754<T>
        => DenseWeights(network).Select(d => StatisticsKernels.L2Norm<T>(network.Parameter(d.Weight.Name)) / Math.Sqrt(d.Weight.Length)).ToArray();

    private static IEnumerable<(LayerInfo Layer, ParameterInfo Weight)> DenseWeights<T>(Network<T> network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var layer in network.LayerTable.Where(l => l.Kind == "Dense"))
        {
            var weight = layer.Parameters.Select(network.GetParameterInfo).FirstOrDefault(p => p.Shape.Length == 2);
            if (weight is not null) yield return (layer, weight);
        }
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
