using GradGen.Diagnostics;
using GradGen.Monitoring;

namespace GradGen.Dashboard;

/// <summary>One network's stream of records in a <see cref="DashboardFeed"/>. As a monitor observer it copies each
/// sampled step's statistics into a ring of preallocated samples, on the training thread, under a lock held only for
/// the copy: no allocation, no JSON, no I/O there (the pump copies a sample out under the same lock, then writes it).
/// Epoch records and findings wait in a queue behind the samples taken before them. The feed's pump turns both into
/// records a few times a second, in step order, so the training thread never writes the log or a page's stream. If
/// training outruns the pump by a whole ring, the oldest samples are overwritten and counted in
/// <see cref="Dropped"/>.</summary>
public sealed class RunFeed : IMonitorObserver
{
    /// <summary>Samples waiting for the pump.</summary>
    public const int RingCapacity = 256;

    private readonly DashboardFeed _feed;
    private readonly StepSample[] _ring;
    private readonly StepSample? _writing; // the pump's copy of the sample it writes
    private readonly Queue<PendingRecord> _pending = new(); // epoch records and findings, each after the samples taken before it
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
    /// step the epoch ended at, which places the accuracy on the loss curve's axis. The record is written by the pump,
    /// after the epoch's sampled steps (or by <see cref="DashboardFeed.Flush"/>).</summary>
    public void RecordEpoch(int epoch, long step, double trainLoss, double trainAccuracy,
        string? evaluationName = null, double evaluationLoss = double.NaN, double evaluationAccuracy = double.NaN)
        => Enqueue(step, RecordKind.Epoch, DashboardSchema.Epoch(Name, epoch, step, trainLoss, trainAccuracy, evaluationName, evaluationLoss, evaluationAccuracy));

    /// <summary>The hook for a diagnostic tool such as the gradient doctor: publishes its complete current list of
    /// findings, which replaces the previous one on the page and in the log. Safe to call from any thread; written by
    /// the pump, as <see cref="RecordEpoch"/>.</summary>
    public void PublishFindings(long step, IReadOnlyList<DashboardFinding> findings)
        => Enqueue(step, RecordKind.Findings, DashboardSchema.Findings(Name, step, findings));

    private void Enqueue(long step, RecordKind kind, string json)
    {
        lock (_lock) _pending.Enqueue(new PendingRecord(step, kind, json));
    }

    /// <summary>Publishes the gradient doctor's <paramref name="diagnosis"/> (docs/doctor.md) as the run's current
    /// findings: each finding's severity, kind (the record's <c>code</c>), layer and message.</summary>
    public void PublishDiagnosis(long step, Diagnosis diagnosis)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        PublishFindings(step, diagnosis.Findings.Select(ToDashboard).ToList());
    }

    internal static DashboardFinding ToDashboard(Finding f) =>
        new(f.Severity.ToString().ToLowerInvariant(), f.Kind.ToString(), f.Layer, f.Message);

    /// <summary>Hands every waiting sample to <paramref name="publishStep"/> and every waiting epoch record and findings
    /// to <paramref name="publish"/>, in step order, each record after the samples taken before it (called by the pump
    /// only).</summary>
    internal void Drain(Action<StepSample> publishStep, Action<RecordKind, string> publish)
    {
        while (true)
        {
            PendingRecord? record = null;
            lock (_lock)
            {
                if (_count > 0 && (_pending.Count == 0 || _ring[_start].Step <= _pending.Peek().AfterStep))
                {
                    var s = _ring[_start];
                    _writing!.CopyFrom(s.Step, s.Loss, s.Activations, s.Gradients, s.Parameters, s.Histograms);
                    _start = (_start + 1) % _ring.Length;
                    _count--;
                }
                else if (_pending.Count > 0) record = _pending.Dequeue();
                else return;
            }
            if (record is { } r) publish(r.Kind, r.Json);
            else publishStep(_writing!);
        }
    }

    private readonly record struct PendingRecord(long AfterStep, RecordKind Kind, string Json);
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
