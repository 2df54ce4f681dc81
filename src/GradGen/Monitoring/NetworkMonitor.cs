using System.Globalization;
using System.Numerics;
using System.Text;

namespace GradGen.Monitoring;

/// <summary>Called after each sampled training step, with the monitor holding that step's statistics.</summary>
public interface IMonitorObserver
{
    /// <summary>The step's statistics are in <paramref name="monitor"/>; it must not be kept past the call.</summary>
    void OnSample(NetworkMonitor monitor);
}

/// <summary>Per-layer statistics of a network compiled with <see cref="Instrumentation.Statistics"/>. The generated
/// passes record each layer's activation and output-gradient statistics on the steps the monitor samples (every
/// <see cref="SampleEvery"/>th training step); the network records each parameter's norms and update ratio when it
/// applies the update, then the monitor keeps the step in its bounded <see cref="History"/> and tells its observers.
/// Nothing allocates per step, sampled or not.</summary>
public sealed class NetworkMonitor
{
    private readonly ActivationStatistics[] _activations;
    private readonly GradientStatistics[] _gradients;
    private readonly ParameterStatistics[] _parameters;
    private readonly List<IMonitorObserver> _observers = new();
    private int _sampleEvery = 1;

    /// <summary>Made by a generated network's constructor.</summary>
    public NetworkMonitor(IReadOnlyList<LayerInfo> layers, IReadOnlyList<ParameterInfo> parameters, int historyCapacity = 512)
    {
        Layers = layers;
        Parameters = parameters;
        _activations = new ActivationStatistics[layers.Count];
        _gradients = new GradientStatistics[layers.Count];
        _parameters = new ParameterStatistics[parameters.Count];
        History = new MonitorHistory(layers.Count, parameters.Count, historyCapacity);
        ClearCurrent();
    }

    /// <summary>The layers, in forward order.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>The parameter tensors, in the network's order.</summary>
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>Sample one training step in this many (1: every step). Changing it takes effect at the next step.</summary>
    public int SampleEvery
    {
        get => _sampleEvery;
        set => _sampleEvery = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "sample at least every step: 1 or more");
    }

    /// <summary>False stops all sampling (the passes then only test one flag per layer).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Training steps begun so far.</summary>
    public long Step { get; private set; }

    /// <summary>True between <see cref="BeginStep"/> and <see cref="EndStep"/> of a sampled step: the passes record.</summary>
    public bool IsSampling { get; private set; }

    /// <summary>The mean loss of the last sampled step's batches (NaN when none was recorded).</summary>
    public double Loss { get; private set; } = double.NaN;

    /// <summary>The last sampled step's statistics of each layer's output, by <see cref="LayerInfo.Index"/>.</summary>
    public ReadOnlySpan<ActivationStatistics> Activations => _activations;

    /// <summary>The last sampled step's statistics of the gradient at each layer's output (for the last batch of an
    /// accumulated step). A layer whose output gradient is not computed (none today) keeps NaNs.</summary>
    public ReadOnlySpan<GradientStatistics> Gradients => _gradients;

    /// <summary>The last sampled step's norms of each parameter tensor, in <see cref="Parameters"/> order.</summary>
    public ReadOnlySpan<ParameterStatistics> ParameterStatistics => _parameters;

    /// <summary>Every sampled step so far, down-sampled to stay within its capacity.</summary>
    public MonitorHistory History { get; }

    /// <summary>Adds an observer, called after each sampled step.</summary>
    public void AddObserver(IMonitorObserver observer) => _observers.Add(observer ?? throw new ArgumentNullException(nameof(observer)));

    /// <summary>Removes an observer.</summary>
    public bool RemoveObserver(IMonitorObserver observer) => _observers.Remove(observer);

    /// <summary>Starts a training step; the network calls it before the first forward pass of each step (a custom
    /// loop that runs Forward, ComputeLoss and Backward itself calls it too). Returns whether the step is sampled.</summary>
    public bool BeginStep()
    {
        if (IsSampling) return true; // a step that accumulates several batches: still the same step
        Step++;
        IsSampling = Enabled && (Step - 1) % _sampleEvery == 0;
        if (IsSampling) ClearCurrent();
        return IsSampling;
    }

    /// <summary>Ends the step: keeps a sampled step in the history and tells the observers.</summary>
    public void EndStep()
    {
        if (!IsSampling) return;
        History.Add(Step, Loss, _activations, _gradients, _parameters);
        IsSampling = false;
        foreach (var observer in _observers) observer.OnSample(this);
    }

    /// <summary>Drops a step that failed (a NaN was found): nothing of it is kept.</summary>
    public void CancelStep() => IsSampling = false;

    /// <summary>Called by the generated forward pass of layer <paramref name="layer"/> on a sampled step.</summary>
    public void RecordActivations<T>(int layer, ReadOnlySpan<T> values, int rows, int cols, int ld) where T : unmanaged, IFloatingPointIeee754<T>
        => _activations[layer] = StatisticsKernels.Activations(values, rows, cols, ld, Layers[layer].Saturation);

    /// <summary>Called by the generated backward pass of layer <paramref name="layer"/>, with the gradient at its output.</summary>
    public void RecordGradients<T>(int layer, ReadOnlySpan<T> values, int rows, int cols, int ld) where T : unmanaged, IFloatingPointIeee754<T>
        => _gradients[layer] = StatisticsKernels.Gradients(values, rows, cols, ld);

    /// <summary>Records the loss of a sampled step.</summary>
    public void RecordLoss(double loss) => Loss = loss;

    /// <summary>Records parameter tensor <paramref name="index"/>'s norms.</summary>
    public void RecordParameter(int index, double gradientNorm, double weightNorm, double updateRatio)
        => _parameters[index] = new ParameterStatistics(gradientNorm, weightNorm, updateRatio);

    /// <summary>What a diagnostic pass overwrites: the current step's statistics, its loss and the sampling flag.</summary>
    internal sealed record SavedStep(ActivationStatistics[] Activations, GradientStatistics[] Gradients, ParameterStatistics[] Parameters,
        double Loss, bool IsSampling);

    /// <summary>For the gradient doctor: makes the passes record one forward and backward that is not a training step.
    /// <see cref="Step"/>, the history and the observers are untouched; <see cref="EndDiagnosticPass"/> puts back what
    /// this returns.</summary>
    internal SavedStep BeginDiagnosticPass()
    {
        var saved = new SavedStep((ActivationStatistics[])_activations.Clone(), (GradientStatistics[])_gradients.Clone(),
            (ParameterStatistics[])_parameters.Clone(), Loss, IsSampling);
        ClearCurrent();
        IsSampling = true;
        return saved;
    }

    /// <summary>Restores the statistics and the sampling flag that <see cref="BeginDiagnosticPass"/> saved.</summary>
    internal void EndDiagnosticPass(SavedStep saved)
    {
        saved.Activations.CopyTo(_activations, 0);
        saved.Gradients.CopyTo(_gradients, 0);
        saved.Parameters.CopyTo(_parameters, 0);
        Loss = saved.Loss;
        IsSampling = saved.IsSampling;
    }

    private void ClearCurrent()
    {
        var nan = double.NaN;
        Array.Fill(_activations, new ActivationStatistics(nan, nan, nan, nan, nan, nan));
        Array.Fill(_gradients, new GradientStatistics(nan, nan, nan, nan));
        Array.Fill(_parameters, new ParameterStatistics(nan, nan, nan));
        Loss = double.NaN;
    }

    /// <summary>The last sampled step as a table, one row per layer: its output's statistics, its output gradient's,
    /// and its parameters' (one row per parameter tensor under the layer). Allocates: for printing, not for every step.</summary>
    public string FormatTable()
    {
        var s = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        s.AppendLine(ci, $"step {Step}, loss {Loss:G5}");
        s.AppendLine(ci, $"{"layer",-22} {"act mean",9} {"act std",9} {"dead",6} {"sat",6} {"grad L2",9} {"grad max",9} {"param",-16} {"‖∇w‖",9} {"‖w‖",9} {"‖Δw‖/‖w‖",9}");
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int p = 0; p < Parameters.Count; p++) byName[Parameters[p].Name] = p;
        foreach (var layer in Layers)
        {
            var a = _activations[layer.Index];
            var g = _gradients[layer.Index];
            string head = $"{Truncate(layer.Name, 22),-22} {a.Mean,9:G3} {a.Std,9:G3} {a.ZeroFraction,6:P0} {(layer.Saturation == Saturation.None ? "" : a.SaturatedFraction.ToString("P0", ci)),6} {g.L2Norm,9:G3} {g.MaxAbs,9:G3}";
            if (layer.Parameters.Length == 0)
            {
                s.AppendLine(ci, $"{head}");
                continue;
            }
            for (int k = 0; k < layer.Parameters.Length; k++)
            {
                var p = byName.TryGetValue(layer.Parameters[k], out int index) ? _parameters[index] : new ParameterStatistics(double.NaN, double.NaN, double.NaN);
                string left = k == 0 ? head : new string(' ', head.Length);
                s.AppendLine(ci, $"{left} {Truncate(layer.Parameters[k], 16),-16} {p.GradientNorm,9:G3} {p.WeightNorm,9:G3} {p.UpdateRatio,9:G3}");
            }
        }
        return s.ToString();
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];
}
