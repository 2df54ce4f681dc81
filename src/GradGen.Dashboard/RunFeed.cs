using GradGen.Diagnostics;
using GradGen.Monitoring;

namespace GradGen.Dashboard;

/// <summary>One network's stream of records in a <see cref="DashboardFeed"/>. As a monitor observer it copies each
/// sampled step's statistics into a ring of preallocated samples, on the training thread, under a lock held only for
/// the copy: no allocation, no JSON, no I/O there (the pump copies a sample out under the same lock, then writes it). The feed's pump turns the samples into step records a few times a
/// second. If training outruns the pump by a whole ring, the oldest samples are overwritten and counted in
/// <see cref="Dropped"/>.</summary>
public sealed class RunFeed : IMonitorObserver
{
    /// <summary>Samples waiting for the pump.</summary>
    public const int RingCapacity = 256;

    private readonly DashboardFeed _feed;
    private readonly StepSample[] _ring;
    private readonly StepSample? _writing; // the pump's copy of the sample it writes
    private readonly object _lock = new();
    private int _start, _count;
    private long _lastStep;

    internal RunFeed(DashboardFeed feed, string name, NetworkMonitor? monitor)
    {
        _feed = feed;
        Name = name;
        _ring = new StepSample[monitor is null ? 0 : RingCapacity];
        for (int i = 0; i < _ring.Length; i++) _ring[i] = new StepSample(monitor!.Layers.Count, monitor.Parameters.Count);
        if (monitor is not null) _writing = new StepSample(monitor.Layers.Count, monitor.Parameters.Count);
    }

    /// <summary>The run's name: the <c>run</c> field of its records.</summary>
    public string Name { get; }

    /// <summary>Sampled steps lost because the ring was full (0 unless the pump was starved for
    /// <see cref="RingCapacity"/> samples).</summary>
    public long Dropped { get; private set; }

    /// <summary>The last sampled step seen (0 before the first).</summary>
    public long LastStep => Interlocked.Read(ref _lastStep);

    /// <inheritdoc/>
    public void OnSample(NetworkMonitor monitor)
    {
        lock (_lock)
        {
            if (_count == _ring.Length)
            {
                _start = (_start + 1) % _ring.Length;
                _count--;
                Dropped++;
            }
            _ring[(_start + _count) % _ring.Length].CopyFrom(monitor.Step, monitor.Loss, monitor.Activations, monitor.Gradients,
                monitor.ParameterStatistics, monitor.GradientHistograms);
            _count++;
        }
        Interlocked.Exchange(ref _lastStep, monitor.Step);
    }

    /// <summary>Adds an epoch record (see <see cref="DashboardSchema.Epoch"/>). <paramref name="step"/> is the training
    /// step the epoch ended at, which places the accuracy on the loss curve's axis.</summary>
    public void RecordEpoch(int epoch, long step, double trainLoss, double trainAccuracy,
        string? evaluationName = null, double evaluationLoss = double.NaN, double evaluationAccuracy = double.NaN)
    {
        _feed.Flush(); // the epoch's steps before the epoch
        _feed.Publish(Name, RecordKind.Epoch,
            DashboardSchema.Epoch(Name, epoch, step, trainLoss, trainAccuracy, evaluationName, evaluationLoss, evaluationAccuracy));
    }

    /// <summary>The hook for a diagnostic tool such as the gradient doctor: publishes its complete current list of
    /// findings, which replaces the previous one on the page and in the log. Safe to call from any thread.</summary>
    public void PublishFindings(long step, IReadOnlyList<DashboardFinding> findings)
        => _feed.Publish(Name, RecordKind.Findings, DashboardSchema.Findings(Name, step, findings));

    /// <summary>Publishes the gradient doctor's <paramref name="diagnosis"/> (docs/doctor.md) as the run's current
    /// findings: each finding's severity, kind (the record's <c>code</c>), layer and message.</summary>
    public void PublishDiagnosis(long step, Diagnosis diagnosis)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        PublishFindings(step, diagnosis.Findings.Select(ToDashboard).ToList());
    }

    internal static DashboardFinding ToDashboard(Finding f) =>
        new(f.Severity.ToString().ToLowerInvariant(), f.Kind.ToString(), f.Layer, f.Message);

    /// <summary>Hands every waiting sample to <paramref name="publish"/>, oldest first (called by the pump only).</summary>
    internal void Drain(Action<StepSample> publish)
    {
        if (_writing is null) return;
        while (true)
        {
            lock (_lock)
            {
                if (_count == 0) return;
                var s = _ring[_start];
                _writing.CopyFrom(s.Step, s.Loss, s.Activations, s.Gradients, s.Parameters, s.Histograms);
                _start = (_start + 1) % _ring.Length;
                _count--;
            }
            publish(_writing);
        }
    }
}

/// <summary>A sampled step's statistics, copied out of the monitor into arrays allocated once.</summary>
internal sealed class StepSample
{
    public StepSample(int layers, int parameters)
    {
        Activations = new ActivationStatistics[layers];
        Gradients = new GradientStatistics[layers];
        Parameters = new ParameterStatistics[parameters];
        Histograms = new long[layers * GradientHistogram.Length];
    }

    public long Step { get; private set; }
    public double Loss { get; private set; }
    public ActivationStatistics[] Activations { get; }
    public GradientStatistics[] Gradients { get; }
    public ParameterStatistics[] Parameters { get; }
    public long[] Histograms { get; }

    public void CopyFrom(long step, double loss, ReadOnlySpan<ActivationStatistics> activations, ReadOnlySpan<GradientStatistics> gradients,
        ReadOnlySpan<ParameterStatistics> parameters, ReadOnlySpan<long> histograms)
    {
        Step = step;
        Loss = loss;
        activations.CopyTo(Activations);
        gradients.CopyTo(Gradients);
        parameters.CopyTo(Parameters);
        histograms.CopyTo(Histograms);
    }
}
