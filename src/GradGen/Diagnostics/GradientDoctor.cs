using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Reflection;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen.Diagnostics;

/// <summary>The gradient doctor: <see cref="Diagnose{T, TTarget}"/> measures one forward and backward pass and reports
/// per layer what is wrong with the gradient's flow; <see cref="Suggest"/> (GradientDoctor.Suggest.cs) says how to fix
/// each finding and which GG rule would have caught it at build time; <see cref="ApplyQuickFixes{T}"/> re-initialises
/// what can be repaired at run time. docs/doctor.md explains each finding.</summary>
public static partial class GradientDoctor
{
    /// <summary>Runs a forward and backward pass on <paramref name="input"/> and <paramref name="targets"/> (one batch
    /// of at most <see cref="Network{T}.MaxBatch"/> samples) and judges the gradients with <paramref name="options"/>
    /// (default <see cref="DoctorOptions"/>). Compares each weight matrix's relative gradient scale with
    /// <paramref name="forecast"/>, by default the generated class's static <c>Forecast</c>.</summary>
    /// <remarks>Neither the parameters nor any optimizer are touched. The gradients, and a monitor's statistics and
    /// sampling state, are put back as they were (its step count, history and observers are never touched); only the
    /// network's last forward pass (its <see cref="Network{T}.Output"/>) is the diagnosed batch's afterwards. Where the
    /// network has statistics compiled in, the activation numbers are the monitor's; with only a layer table they are
    /// computed from <see cref="Network{T}.CopyLayerOutput"/>; without instrumentation only the parameters' gradients
    /// are judged, and a <see cref="FindingKind.NotChecked"/> finding says so.</remarks>
    public static Diagnosis Diagnose<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets,
        NetworkForecast? forecast = null, DoctorOptions? options = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new DoctorOptions();
        options.Validate();
        forecast ??= GeneratedForecast(network.GetType());

        // The gradients are put back afterwards. The copy is rented: during training (the dashboard's scheduled
        // diagnoses) a new array each time would be the doctor's largest allocation, and collections pause training.
        int count = network.Gradients.Length;
        T[] savedGradients = ArrayPool<T>.Shared.Rent(count);
        network.Gradients.CopyTo(savedGradients);
        var monitor = network.Monitor;
        var savedMonitor = monitor?.BeginDiagnosticPass();
        try
        {
            network.ZeroGradients();
            var pass = RunPass(network, input, targets);
            return Judge(network, pass, forecast, options, monitor);
        }
        finally
        {
            if (monitor is not null) monitor.EndDiagnosticPass(savedMonitor!);
            savedGradients.AsSpan(0, count).CopyTo(network.Gradients);
            ArrayPool<T>.Shared.Return(savedGradients);
        }
    }

    /// <summary>The forecast the generator wrote on <paramref name="type"/> (a [Network] class) or on the class that
    /// declares it (its nested Float64 twin): the static <c>Forecast</c> property. Null for a class without one.</summary>
    public static NetworkForecast? GeneratedForecast(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        for (Type? t = type; t is not null; t = t.DeclaringType)
        {
            if (t.GetProperty("Forecast", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is NetworkForecast forecast) return forecast;
        }
        return null;
    }

    /// <summary>The outcome of the diagnostic pass: the loss, and where a NaN or ±∞ first appeared (or null).</summary>
    private sealed record Pass(double Loss, AnomalyReport? Anomaly, string? NonFiniteParameter);

    private static Pass RunPass<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        // A NaN in a parameter is the first place to look: everything downstream inherits it. The pass still runs, so
        // that the layers' numbers are this batch's.
        string? badParameter = network.ParameterTable.FirstOrDefault(p => !TensorPrimitives.IsFiniteAll<T>(network.Parameter(p.Name)))?.Name;
        try
        {
            network.Forward(input);
        }
        catch (AnomalyException e)
        {
            return new Pass(double.NaN, e.Report, badParameter);
        }
        if (network.LocateForwardAnomaly() is { } forward) return new Pass(double.NaN, forward, badParameter);
        double loss = double.CreateTruncating(network.ComputeLoss(targets));
        network.Backward();
        if (!double.IsFinite(loss)) return new Pass(loss, new AnomalyReport("forward", null, "loss", -1, 0, loss), badParameter);
        if (TensorPrimitives.IsFiniteAll<T>(network.Gradients)) return new Pass(loss, null, badParameter);
        if (network.LocateBackwardAnomaly() is { } backward) return new Pass(loss, backward, badParameter);
        var bad = network.ParameterTable.First(p => !TensorPrimitives.IsFiniteAll<T>(network.Gradient(p.Name)));
        return new Pass(loss, new AnomalyReport("backward", null, "gradient of " + bad.Name, -1, 0, double.NaN), badParameter);
    }

    private static Diagnosis Judge<T, TTarget>(Network<T, TTarget> network, Pass pass, NetworkForecast? forecast, DoctorOptions options, NetworkMonitor? monitor)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        var findings = new List<Finding>();
        var weights = network.ParameterTable.Where(p => p.Shape.Length == 2).ToList();
        var gradientNorm = network.ParameterTable.ToDictionary(p => p.Name, p => StatisticsKernels.L2Norm<T>(network.Gradient(p.Name)), StringComparer.Ordinal);
        double last = weights.Count > 0 ? gradientNorm[weights[^1].Name] : double.NaN;
        double ratio = weights.Count > 0 ? gradientNorm[weights[0].Name] / last : double.NaN;
        var forecastOf = forecast?.Layers.ToDictionary(l => l.Parameter, l => l.GradientScale, StringComparer.Ordinal) ?? new Dictionary<string, double>();
        string source = network.LayerTable.Count == 0 ? "parameters only" : monitor is not null ? "monitor statistics" : "layer outputs";

        var layers = network.LayerTable.Count > 0
            ? network.LayerTable.Select(layer => MeasureLayer(network, layer, monitor, weights, gradientNorm, last, forecastOf)).ToList()
            : weights.Select(w => new LayerDiagnosis(ClipPerLayerByNorm<T>.LayerOf(w.Name), "Dense", null, w.Name, gradientNorm[w.Name],
                gradientNorm[w.Name] / last, forecastOf.GetValueOrDefault(w.Name, double.NaN), double.NaN, double.NaN, double.NaN)).ToList();

        if (pass.NonFiniteParameter is { } parameter)
        {
            findings.Add(new Finding(FindingKind.NonFinite, Severity.Error, ClipPerLayerByNorm<T>.LayerOf(parameter),
                $"parameter {parameter} holds a NaN or ±∞: every output after it inherits it", double.NaN, double.NaN));
        }
        else if (pass.Anomaly is { } anomaly)
        {
            findings.Add(new Finding(FindingKind.NonFinite, Severity.Error, anomaly.Layer?.Name ?? anomaly.What, anomaly.ToString(), anomaly.Value, double.NaN));
        }
        else
        {
            JudgeGradients(network, weights, gradientNorm, ratio, options, findings);
            JudgeLoss(network, pass.Loss, options, findings);
            JudgeActivations(layers, options, findings);
            JudgeForecast(layers, options, findings);
            if (network.LayerTable.Count == 0)
            {
                findings.Add(new Finding(FindingKind.NotChecked, Severity.Info, "network",
                    "dead ReLUs and saturation need the layer table: compile with Instrumentation = Instrumentation.Statistics (or AnomalyDetection)", double.NaN, double.NaN));
            }
        }
        if (forecast is null)
            findings.Add(new Finding(FindingKind.NotChecked, Severity.Info, "network", "no forecast to compare with: pass the generated class's Forecast", double.NaN, double.NaN));

        var ordered = findings.OrderByDescending(f => f.Severity).ToList(); // stable: within a severity, forward order
        return new Diagnosis(network.GetType().Name, network.BatchSize, pass.Loss, source, ratio, forecast?.GradientRatio ?? double.NaN, layers, ordered);
    }

    private static LayerDiagnosis MeasureLayer<T>(Network<T> network, LayerInfo layer, NetworkMonitor? monitor, List<ParameterInfo> weights,
        Dictionary<string, double> gradientNorm, double last, Dictionary<string, double> forecastOf) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string? weight = layer.Parameters.FirstOrDefault(name => weights.Any(w => w.Name == name));
        double norm = weight is null ? double.NaN : gradientNorm[weight];
        double forecast = weight is null ? double.NaN : forecastOf.GetValueOrDefault(weight, double.NaN);

        // The monitor recorded this pass's statistics (BeginDiagnosticPass); without one, the same kernels run on a copy.
        ActivationStatistics activations;
        double outputGradient;
        if (monitor is not null)
        {
            activations = monitor.Activations[layer.Index];
            outputGradient = monitor.Gradients[layer.Index].L2Norm;
        }
        else
        {
            var output = network.CopyLayerOutput(layer);
            activations = StatisticsKernels.Activations<T>(output, network.BatchSize, layer.Width, layer.Width, layer.Saturation);
            outputGradient = layer.GradientOffset >= 0 ? StatisticsKernels.L2Norm<T>(network.CopyLayerOutputGradient(layer)) : double.NaN;
        }
        double dead = layer.Activation == Activation.ReLU ? DeadUnitFraction(network.LayerOutputRows(layer), network.BatchSize, layer.Width, layer.OutputStride) : double.NaN;
        double saturated = layer.Saturation == Saturation.None ? double.NaN : activations.SaturatedFraction;
        return new LayerDiagnosis(layer.Name, layer.Kind, layer.Activation.ToString(), weight, norm, norm / last, forecast, outputGradient, dead, saturated);
    }

    /// <summary>The share of units (columns) that are not positive for any sample (row): a ReLU unit that passes no
    /// gradient for the whole batch. The monitor's zero fraction counts outputs, not units, so this reads the output.</summary>
    internal static double DeadUnitFraction<T>(ReadOnlySpan<T> output, int rows, int width, int ld) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int dead = 0;
        for (int j = 0; j < width; j++)
        {
            bool alive = false;
            for (int i = 0; i < rows && !alive; i++) alive = output[i * ld + j] > T.Zero;
            if (!alive) dead++;
        }
        return (double)dead / width;
    }

    private static void JudgeGradients<T>(Network<T> network, List<ParameterInfo> weights, Dictionary<string, double> gradientNorm, double ratio,
        DoctorOptions options, List<Finding> findings) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (var p in network.ParameterTable)
        {
            if (gradientNorm[p.Name] == 0)
                findings.Add(new Finding(FindingKind.NoGradient, Severity.Warning, p.Name,
                    $"the gradient of {p.Name} is exactly 0: the parameter is frozen or unused, every unit it feeds is dead, the weights after it are 0, or the gradient vanished below the smallest {typeof(T).Name}", 0, 0));
        }
        foreach (var w in weights)
        {
            double norm = gradientNorm[w.Name];
            string layer = ClipPerLayerByNorm<T>.LayerOf(w.Name);
            if (norm > 0 && norm < options.VanishingNorm)
                findings.Add(new Finding(FindingKind.Vanishing, Severity.Warning, layer, $"‖∂L/∂{w.Name}‖ = {F(norm)}, below {F(options.VanishingNorm)}", norm, options.VanishingNorm));
            else if (norm > options.ExplodingNorm)
                findings.Add(new Finding(FindingKind.Exploding, Severity.Warning, layer, $"‖∂L/∂{w.Name}‖ = {F(norm)}, above {F(options.ExplodingNorm)}", norm, options.ExplodingNorm));
        }
        if (weights.Count < 2 || !double.IsFinite(ratio)) return;
        string first = weights[0].Name, lastName = weights[^1].Name;
        string measured = $"‖∂L/∂{first}‖ / ‖∂L/∂{lastName}‖ = {F(ratio)}";
        if (ratio < options.VanishingRatio)
            findings.Add(new Finding(FindingKind.Vanishing, Severity.Warning, ClipPerLayerByNorm<T>.LayerOf(first),
                $"{measured}, below {F(options.VanishingRatio)}: the gradient vanishes towards the input", ratio, options.VanishingRatio));
        else if (ratio > options.ExplodingRatio)
            findings.Add(new Finding(FindingKind.Exploding, Severity.Warning, ClipPerLayerByNorm<T>.LayerOf(first),
                $"{measured}, above {F(options.ExplodingRatio)}: the gradient explodes towards the input", ratio, options.ExplodingRatio));
        findings.Add(new Finding(FindingKind.GradientRatio, Severity.Info, "network", measured, ratio, double.NaN));
    }

    // Softmax cross-entropy (the one loss whose targets are class indices) against ln C, the loss of uniform predictions.
    private static void JudgeLoss<T, TTarget>(Network<T, TTarget> network, double loss, DoctorOptions options, List<Finding> findings)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        int classes = network.OutputSize;
        if (typeof(TTarget) != typeof(int) || classes < 2 || !double.IsFinite(loss)) return;
        double uniform = Math.Log(classes), threshold = options.LossFactor * uniform;
        if (loss > threshold)
            findings.Add(new Finding(FindingKind.LargeLoss, Severity.Warning, "network",
                $"the loss {F(loss)} is above {F(options.LossFactor)} × ln {classes} = {F(threshold)} (uniform predictions over {classes} classes give {F(uniform)}): " +
                "the logits are large and confidently wrong on much of the batch; at initialisation the first updates go to shrinking them, and in training it is a sign of divergence",
                loss, threshold));
    }

    private static void JudgeActivations(List<LayerDiagnosis> layers, DoctorOptions options, List<Finding> findings)
    {
        foreach (var l in layers)
        {
            if (l.DeadFraction > options.DeadFraction)
                findings.Add(new Finding(FindingKind.DeadReLU, Severity.Warning, l.Name,
                    $"{P(l.DeadFraction)} of its {l.Activation} units are never positive over the batch (more than {P(options.DeadFraction)})", l.DeadFraction, options.DeadFraction));
            if (l.SaturatedFraction > options.SaturatedFraction)
                findings.Add(new Finding(FindingKind.Saturated, Severity.Warning, l.Name,
                    $"{P(l.SaturatedFraction)} of its {l.Activation} outputs are saturated, where the derivative is below 0.02 (more than {P(options.SaturatedFraction)})",
                    l.SaturatedFraction, options.SaturatedFraction));
        }
    }

    private static void JudgeForecast(List<LayerDiagnosis> layers, DoctorOptions options, List<Finding> findings)
    {
        foreach (var l in layers)
        {
            double measured = l.RelativeGradient, forecast = l.ForecastRelativeGradient;
            if (!(measured > 0 && forecast > 0) || !double.IsFinite(measured) || !double.IsFinite(forecast)) continue;
            double factor = Math.Max(measured / forecast, forecast / measured);
            if (factor > options.ForecastFactor)
                findings.Add(new Finding(FindingKind.ForecastMismatch, Severity.Info, l.Name,
                    $"relative gradient scale {F(measured)} measured, {F(forecast)} forecast ({F(factor)}×): either the weights have moved away from " +
                    "their initialisation, or the forecast is wrong for this network", measured, forecast));
        }
    }

    private static string F(double x) => x.ToString("0.00E+0", CultureInfo.InvariantCulture);

    private static string P(double share) => share.ToString("P0", CultureInfo.InvariantCulture);
}
