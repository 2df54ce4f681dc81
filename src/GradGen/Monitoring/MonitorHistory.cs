namespace GradGen.Monitoring;

/// <summary>The sampled steps of a training run, in fixed memory. When full, every other entry is dropped and from then
/// on only every other sample is kept (then every fourth, …), so the history always spans the whole run at an even
/// spacing, whatever its length. Allocated once; adding never allocates.</summary>
public sealed class MonitorHistory
{
    private readonly int _layers, _parameters;
    private readonly long[] _steps;
    private readonly double[] _losses;
    private readonly ActivationStatistics[] _activations;
    private readonly GradientStatistics[] _gradients;
    private readonly ParameterStatistics[] _parameterStatistics;
    private long _offered;

    internal MonitorHistory(int layers, int parameters, int capacity)
    {
        if (capacity < 2) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a history holds at least 2 samples");
        _layers = layers;
        _parameters = parameters;
        Capacity = capacity + capacity % 2; // even: see Halve
        _steps = new long[Capacity];
        _losses = new double[Capacity];
        _activations = new ActivationStatistics[Capacity * layers];
        _gradients = new GradientStatistics[Capacity * layers];
        _parameterStatistics = new ParameterStatistics[Capacity * parameters];
    }

    /// <summary>The most samples kept.</summary>
    public int Capacity { get; }

    /// <summary>Samples kept now.</summary>
    public int Count { get; private set; }

    /// <summary>One sample kept for every this many offered (1, 2, 4, …).</summary>
    public int Stride { get; private set; } = 1;

    /// <summary>The training step of sample <paramref name="i"/>.</summary>
    public long StepAt(int i) => _steps[Check(i)];

    /// <summary>The loss at sample <paramref name="i"/>.</summary>
    public double LossAt(int i) => _losses[Check(i)];

    /// <summary>Every layer's activation statistics at sample <paramref name="i"/>.</summary>
    public ReadOnlySpan<ActivationStatistics> ActivationsAt(int i) => _activations.AsSpan(Check(i) * _layers, _layers);

    /// <summary>Every layer's output-gradient statistics at sample <paramref name="i"/>.</summary>
    public ReadOnlySpan<GradientStatistics> GradientsAt(int i) => _gradients.AsSpan(Check(i) * _layers, _layers);

    /// <summary>Every parameter tensor's statistics at sample <paramref name="i"/>.</summary>
    public ReadOnlySpan<ParameterStatistics> ParametersAt(int i) => _parameterStatistics.AsSpan(Check(i) * _parameters, _parameters);

    internal void Add(long step, double loss, ReadOnlySpan<ActivationStatistics> activations, ReadOnlySpan<GradientStatistics> gradients,
        ReadOnlySpan<ParameterStatistics> parameters)
    {
        if (_offered++ % Stride != 0) return;
        if (Count == Capacity) Halve();
        int i = Count++;
        _steps[i] = step;
        _losses[i] = loss;
        activations.CopyTo(_activations.AsSpan(i * _layers, _layers));
        gradients.CopyTo(_gradients.AsSpan(i * _layers, _layers));
        parameters.CopyTo(_parameterStatistics.AsSpan(i * _parameters, _parameters));
    }

    /// <summary>Keeps samples 0, 2, 4, … and doubles the stride.</summary>
    private void Halve()
    {
        int kept = 0;
        for (int i = 0; i < Count; i += 2, kept++)
        {
            _steps[kept] = _steps[i];
            _losses[kept] = _losses[i];
            _activations.AsSpan(i * _layers, _layers).CopyTo(_activations.AsSpan(kept * _layers, _layers));
            _gradients.AsSpan(i * _layers, _layers).CopyTo(_gradients.AsSpan(kept * _layers, _layers));
            _parameterStatistics.AsSpan(i * _parameters, _parameters).CopyTo(_parameterStatistics.AsSpan(kept * _parameters, _parameters));
        }
        Count = kept;
        Stride *= 2;
        // With an even capacity the sample that triggered the halving sits at a multiple of the new stride, so the
        // kept samples stay evenly spaced without re-aligning anything.
    }

    private int Check(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i), i, $"the history holds {Count} samples");
}
