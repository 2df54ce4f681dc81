using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using GradGen.Monitoring;

namespace GradGen.Dashboard;

/// <summary>What kind of record a line is (its <c>type</c> field).</summary>
internal enum RecordKind { Run, Step, Epoch, Findings }

/// <summary>The records of one or more runs: what the dashboard serves and what <c>--log</c> writes. A pump turns the
/// runs' sampled steps into step records every <see cref="PumpInterval"/>, off the training thread; each record then
/// goes to the log (every record), to the connected pages, and to the store that a page connecting later is sent
/// first. The store keeps each run's step and epoch records in fixed memory, down-sampled as
/// <see cref="MonitorHistory"/> is (every other record dropped when full, then only every other kept), plus its latest
/// step and findings, so it spans the whole run whatever its length. Stored steps leave out their histograms, which
/// the page draws for the latest step only: a deep network's records shrink from tens of kilobytes to a few.
/// The pages get what was published at most once every <see cref="PageInterval"/>, and of the step records only those
/// the store keeps, without histograms, plus each run's latest step whole: a live page receives what a page connecting
/// later would, however fast training samples.</summary>
public sealed class DashboardFeed : IDisposable
{
    /// <summary>How often the pump writes the sampled steps.</summary>
    public static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>The <see cref="PageInterval"/> of a new feed: one second. The page redraws at most once a second, so it
    /// would get nothing from more.</summary>
    public static readonly TimeSpan DefaultPageInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often the pages are sent what was published: at most once in this interval (and when another page
    /// connects, or on <see cref="Flush"/>); <see cref="DefaultPageInterval"/> unless set. Each send wakes the browser's
    /// network, browser and page processes, which redraw what changed: a longer interval is less work for them.
    /// Between 0.1 s and an hour.</summary>
    public TimeSpan PageInterval
    {
        get => _pageInterval;
        set
        {
            if (value < TimeSpan.FromSeconds(0.1) || value > TimeSpan.FromHours(1))
                throw new ArgumentOutOfRangeException(nameof(value), value, "the page interval is between 0.1 s and an hour");
            _pageInterval = value;
        }
    }

    private TimeSpan _pageInterval = DefaultPageInterval;

    /// <summary>Step and epoch records kept per run.</summary>
    public const int StoreCapacity = 1000;

    private readonly object _lock = new(); // the store, the log and the subscribers
    private readonly List<RunFeed> _runs = new();
    private readonly List<string> _runRecords = new();
    private readonly Dictionary<string, RunStore> _stores = new(StringComparer.Ordinal);
    private readonly List<Channel<byte[]>> _subscribers = new();
    // The records are written as UTF-8 into buffers that are reused, so that the pump allocates little more than the
    // records the store keeps: every collection it causes also pauses the training thread.
    private readonly ArrayBufferWriter<byte> _outgoing = new(); // the events published since the last send, for every page at once
    private readonly FileStream? _log;
    private readonly ArrayBufferWriter<byte> _stepBuffer = new();
    private readonly Utf8JsonWriter _stepWriter; // the pump's, reused for every step record
    private readonly object _pumpLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task? _pump;
    private readonly TimeProvider _time;
    private long _lastPageSend; // a TimeProvider timestamp
    private bool _disposed;

    /// <summary>A feed for live runs; <paramref name="logPath"/>, if given, receives every record as a JSON line.</summary>
    public DashboardFeed(string? logPath = null) : this(logPath, startPump: true, TimeProvider.System) { }

    /// <summary>A feed whose pump, if started, and page sends follow <paramref name="time"/> (tests drive a feed without a
    /// pump through <see cref="Tick"/>).</summary>
    internal DashboardFeed(string? logPath, bool startPump, TimeProvider time)
    {
        _time = time;
        _lastPageSend = time.GetTimestamp();
        _stepWriter = new Utf8JsonWriter(_stepBuffer);
        if (logPath is not null)
            _log = new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1 << 16);
        if (startPump) _pump = Task.Run(PumpAsync);
    }

    /// <summary>Whether this feed replays or follows a log rather than following training in this process.</summary>
    public bool IsReplay => _pump is null;

    /// <summary>Adds a run that follows <paramref name="monitor"/>: turns on its gradient histograms and observes it.
    /// <paramref name="name"/> identifies the run in the records; <paramref name="title"/> heads its column.</summary>
    public RunFeed AddRun(string name, string title, NetworkMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        lock (_lock)
        {
            if (_stores.ContainsKey(name)) throw new ArgumentException($"the feed already has a run named '{name}'", nameof(name));
        }
        var run = new RunFeed(this, name, monitor);
        monitor.CollectHistograms = true;
        Publish(name, RecordKind.Run, DashboardSchema.Run(name, title, monitor));
        lock (_lock)
        {
            SendLocked(force: true);
            _runs.Add(run);
        }
        monitor.AddObserver(run);
        return run;
    }

    /// <summary>Every record a page connecting now is sent first: the run records, then each run's stored step and
    /// epoch records, its latest step if the store dropped it, and its latest findings.</summary>
    public IReadOnlyList<string> Snapshot()
    {
        lock (_lock) return SnapshotLocked();
    }

    /// <summary>Sends' worth of events kept for a page that does not read them: 256 s at one a second.</summary>
    internal const int SubscriberCapacity = 256;

    /// <summary>The snapshot and a channel of every record published after it, with nothing lost or repeated between
    /// the two: each item is the records of one send (<see cref="PageInterval"/>) as Server-Sent Events
    /// ("data: RECORD\n\n" each), encoded once as UTF-8 for every page. The channel is completed when the feed is disposed; <see cref="Unsubscribe"/>
    /// when done.</summary>
    internal (IReadOnlyList<string> Snapshot, ChannelReader<byte[]> Updates, Channel<byte[]> Handle) Subscribe()
    {
        // A page that stops reading loses its oldest updates rather than holding memory or blocking the pump.
        var channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            if (_disposed) channel.Writer.Complete();
            else
            {
                SendLocked(force: true); // what was published before the snapshot goes to the other pages, not to this one
                _subscribers.Add(channel);
            }
            return (SnapshotLocked(), channel.Reader, channel);
        }
    }

    internal void Unsubscribe(Channel<byte[]> handle)
    {
        lock (_lock) _subscribers.Remove(handle);
    }

    /// <summary>Writes the sampled steps waiting in every run now, rather than at the pump's next tick, and sends the pages
    /// what they have not been sent.</summary>
    public void Flush() => Tick(forcePages: true);

    /// <summary>The pump's tick: writes the waiting samples, epochs and findings, and sends the pages what was published
    /// if <see cref="PageInterval"/> has passed since the last send (or <paramref name="forcePages"/>).</summary>
    internal void Tick(bool forcePages)
    {
        lock (_pumpLock)
        {
            RunFeed[] runs;
            lock (_lock) runs = _runs.ToArray();
            foreach (var run in runs)
                run.Drain(sample => PublishStep(run.Name, sample), (kind, json) => Publish(run.Name, kind, json));
            lock (_lock)
            {
                _log?.Flush();
                SendLocked(forcePages);
            }
        }
    }

    /// <summary>Logs, sends and stores a sampled step of a live run. The record is written once, as UTF-8, into a reused
    /// buffer; the record without histograms is written, sent and kept as a string only when the store keeps it.</summary>
    private void PublishStep(string run, StepSample sample)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var store = _stores[run];
            ReadOnlySpan<byte> record = WriteStep(run, sample, histograms: true);
            Log(record);
            SetLatestStepLocked(store, record);
            if (!store.Steps.KeepsNext)
            {
                store.Steps.Skip();
                return;
            }
            ReadOnlySpan<byte> stored = WriteStep(run, sample, histograms: false); // reuses the buffer: record is gone
            ToPages(stored);
            store.Steps.Add(Encoding.UTF8.GetString(stored));
        }
    }

    /// <summary>Keeps <paramref name="record"/> as the run's latest step, which the next send gives the pages whole.</summary>
    private void SetLatestStepLocked(RunStore store, ReadOnlySpan<byte> record)
    {
        store.SetLatestStep(record);
        store.LatestUnsent = _subscribers.Count > 0;
    }

    private ReadOnlySpan<byte> WriteStep(string run, StepSample sample, bool histograms)
    {
        _stepBuffer.ResetWrittenCount();
        _stepWriter.Reset();
        DashboardSchema.WriteStep(_stepWriter, run, sample, histograms);
        _stepWriter.Flush();
        return _stepBuffer.WrittenSpan;
    }

    /// <summary>Logs, sends and stores one record: a run's header, an epoch, findings, or a replayed step (stored
    /// without its histograms).</summary>
    internal void Publish(string run, RecordKind kind, string json)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (kind == RecordKind.Run)
            {
                _runRecords.Add(json);
                _stores.Add(run, new RunStore());
            }
            else
            {
                var store = _stores[run];
                switch (kind)
                {
                    case RecordKind.Step:
                        Log(Encoding.UTF8.GetBytes(json));
                        SetLatestStepLocked(store, Encoding.UTF8.GetBytes(json));
                        if (store.Steps.KeepsNext)
                        {
                            string stored = json.Contains("\"hist\"", StringComparison.Ordinal) ? DashboardSchema.WithoutHistograms(json) : json;
                            ToPages(Encoding.UTF8.GetBytes(stored));
                            store.Steps.Add(stored);
                        }
                        else store.Steps.Skip();
                        return;
                    case RecordKind.Epoch:
                        store.Epochs.Add(json);
                        break;
                    default:
                        store.Findings = json;
                        break;
                }
            }
            byte[] utf8 = Encoding.UTF8.GetBytes(json);
            Log(utf8);
            ToPages(utf8);
        }
    }

    /// <summary>Writes a record to the log, as a line.</summary>
    private void Log(ReadOnlySpan<byte> record)
    {
        if (_log is null) return;
        _log.Write(record);
        _log.WriteByte((byte)'\n');
    }

    /// <summary>Adds a record to the events waiting for the pages.</summary>
    private void ToPages(ReadOnlySpan<byte> record)
    {
        if (_subscribers.Count == 0) return;
        _outgoing.Write("data: "u8);
        _outgoing.Write(record);
        _outgoing.Write("\n\n"u8);
    }

    /// <summary>Sends the events published since the last send to every page, as one write, if
    /// <see cref="PageInterval"/> has passed since the last send or <paramref name="force"/>: each page's stream wakes
    /// and writes once per send, whatever the number of records. Each run's latest step goes last, whole (with its
    /// histograms, which the page draws); the page takes it as its latest even if the store kept it, and so it was sent
    /// without histograms just before.</summary>
    private void SendLocked(bool force)
    {
        long now = _time.GetTimestamp();
        if (!force && _time.GetElapsedTime(_lastPageSend, now) < PageInterval) return;
        foreach (var store in _stores.Values)
        {
            if (!store.LatestUnsent) continue;
            ToPages(store.LatestStepUtf8);
            store.LatestUnsent = false;
        }
        if (_outgoing.WrittenCount == 0) return;
        byte[] events = _outgoing.WrittenSpan.ToArray();
        _outgoing.ResetWrittenCount();
        foreach (var subscriber in _subscribers) subscriber.Writer.TryWrite(events);
        _lastPageSend = now;
    }

    private List<string> SnapshotLocked()
    {
        var records = new List<string>(_runRecords);
        foreach (var store in _stores.Values)
        {
            // The latest step goes last, whole: the page draws its histograms.
            var steps = store.Steps.Items;
            int count = store.Steps.KeptLast ? steps.Count - 1 : steps.Count;
            for (int i = 0; i < count; i++) records.Add(steps[i]);
            if (store.LatestStep() is { } latest) records.Add(latest);
            records.AddRange(store.Epochs.Items);
            if (store.Findings is not null) records.Add(store.Findings);
        }
        return records;
    }

    private async Task PumpAsync()
    {
        using var timer = new PeriodicTimer(PumpInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) Tick(forcePages: false);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Writes what is waiting, closes the log and ends every page's stream.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _stop.Cancel();
        _pump?.Wait();
        // WaitAny does not throw: a follow that ended on a bad line keeps its exception in Following.
        if (Following is not null) Task.WaitAny(Following);
        _follower?.Dispose();
        Flush();
        lock (_lock)
        {
            _disposed = true;
            SendLocked(force: true);
            foreach (var subscriber in _subscribers) subscriber.Writer.TryComplete();
            _subscribers.Clear();
            _log?.Dispose();
        }
        _stepWriter.Dispose();
        _stop.Dispose();
    }

    /// <summary>A feed holding the records of a log written by <c>--log</c>, for <c>--dashboard --replay</c>. A line
    /// that is not a record of this schema, a run record of another schema or version, or a record of a run not
    /// declared before it, is an <see cref="InvalidDataException"/> naming the file and the line. Records of a type
    /// this version does not know are skipped: a later version may add types.</summary>
    public static DashboardFeed Replay(string path)
    {
        var feed = new DashboardFeed(logPath: null, startPump: false, TimeProvider.System);
        var reader = new LogReader(feed, path);
        foreach (string line in File.ReadLines(path)) reader.Read(line);
        if (feed._runRecords.Count == 0)
            throw new InvalidDataException($"{path}: no run record: the file is not a dashboard log written by --log");
        return feed;
    }

    /// <summary>A feed that follows a log another process is writing (<c>--dashboard --replay FILE --follow</c>): it
    /// holds the records already in the file when it returns, then reads the lines appended to it every
    /// <see cref="PumpInterval"/> and sends them to the pages as a live feed does. A line still being written (no
    /// newline yet) waits for its end. The file may be empty at first (the run record comes with the writer's first
    /// flush). A bad line, or a file that shrinks, ends the following with an <see cref="InvalidDataException"/>
    /// naming the file (and the line), which <see cref="Following"/> then holds; the records read until then are
    /// still served.</summary>
    public static DashboardFeed Follow(string path) => Follow(path, TimeProvider.System);

    internal static DashboardFeed Follow(string path, TimeProvider time)
    {
        // FileShare.ReadWrite: the writer has the file open for writing.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var feed = new DashboardFeed(logPath: null, startPump: false, time);
        var follower = new LogFollower(file, new LogReader(feed, path));
        try
        {
            follower.ReadAppended();
        }
        catch
        {
            follower.Dispose();
            feed.Dispose();
            throw;
        }
        feed._follower = follower;
        feed.Following = Task.Run(() => feed.FollowAsync(follower));
        return feed;
    }

    /// <summary>For a feed made by <see cref="Follow(string)"/>: runs until the feed is disposed, or ends with the
    /// <see cref="InvalidDataException"/> of a bad line. Null for other feeds.</summary>
    public Task? Following { get; private set; }

    private LogFollower? _follower;

    private async Task FollowAsync(LogFollower follower)
    {
        using var timer = new PeriodicTimer(PumpInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                follower.ReadAppended();
                Tick(forcePages: false);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Checks each line of a log and publishes its record: <see cref="Replay"/>'s and <see cref="Follow(string)"/>'s.</summary>
    private sealed class LogReader(DashboardFeed feed, string path)
    {
        private int _lineNumber;

        public string Path => path;

        public void Read(string line)
        {
            _lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) return;
            var (kind, run) = ReadHeader(path, _lineNumber, line);
            if (kind is null) return;
            bool declared;
            lock (feed._lock) declared = feed._stores.ContainsKey(run);
            if (kind != RecordKind.Run && !declared)
                throw new InvalidDataException($"{path}, line {_lineNumber}: a {kind.Value.ToString().ToLowerInvariant()} record of run '{run}' comes before that run's run record");
            if (kind == RecordKind.Run && declared)
                throw new InvalidDataException($"{path}, line {_lineNumber}: a second run record for run '{run}'");
            feed.Publish(run, kind.Value, line);
        }
    }

    /// <summary>Reads the complete lines appended to a file since the last call. The bytes after the last newline, a
    /// line the writer has not finished, are kept for the next call: at most one line is held.</summary>
    private sealed class LogFollower(FileStream file, LogReader reader) : IDisposable
    {
        private readonly byte[] _chunk = new byte[1 << 16];
        private readonly ArrayBufferWriter<byte> _partial = new(); // the start of a line whose newline has not come yet

        public void ReadAppended()
        {
            if (file.Length < file.Position)
                throw new InvalidDataException($"{reader.Path}: the file shrank from {file.Position} to {file.Length} bytes while it was followed: another run rewrote it");
            int read;
            while ((read = file.Read(_chunk)) > 0)
            {
                var bytes = _chunk.AsSpan(0, read);
                int newline;
                while ((newline = bytes.IndexOf((byte)'\n')) >= 0)
                {
                    var end = bytes[..newline];
                    if (_partial.WrittenCount == 0) reader.Read(Encoding.UTF8.GetString(end));
                    else
                    {
                        _partial.Write(end);
                        reader.Read(Encoding.UTF8.GetString(_partial.WrittenSpan));
                        _partial.ResetWrittenCount();
                    }
                    bytes = bytes[(newline + 1)..];
                }
                _partial.Write(bytes);
            }
        }

        public void Dispose() => file.Dispose();
    }

    private static (RecordKind? Kind, string Run) ReadHeader(string path, int lineNumber, string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}, line {lineNumber}: not JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("run", out var run) || run.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}, line {lineNumber}: not a dashboard record (an object with string fields \"type\" and \"run\")");
            RecordKind? kind = type.GetString() switch
            {
                "run" => RecordKind.Run,
                "step" => RecordKind.Step,
                "epoch" => RecordKind.Epoch,
                "findings" => RecordKind.Findings,
                _ => null,
            };
            if (kind == RecordKind.Run)
            {
                string? schema = root.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                int version = root.TryGetProperty("version", out var v) && v.TryGetInt32(out int n) ? n : 0;
                if (schema != DashboardSchema.Name || version != DashboardSchema.Version)
                    throw new InvalidDataException($"{path}, line {lineNumber}: schema '{schema}' version {version}; this build reads '{DashboardSchema.Name}' version {DashboardSchema.Version}");
            }
            return (kind, run.GetString()!);
        }
    }

    private sealed class RunStore
    {
        private byte[] _latestStep = [];
        private int _latestLength = -1; // no step yet

        public DecimatingList<string> Steps { get; } = new(StoreCapacity);
        public DecimatingList<string> Epochs { get; } = new(StoreCapacity);
        public string? Findings { get; set; }

        /// <summary>Keeps a copy of the latest step record, whole, in a buffer reused from step to step.</summary>
        public void SetLatestStep(ReadOnlySpan<byte> record)
        {
            if (_latestStep.Length < record.Length) _latestStep = new byte[Math.Max(record.Length, 2 * _latestStep.Length)];
            record.CopyTo(_latestStep);
            _latestLength = record.Length;
        }

        /// <summary>The latest step record, whole; null before the first.</summary>
        public string? LatestStep() => _latestLength < 0 ? null : Encoding.UTF8.GetString(_latestStep, 0, _latestLength);

        /// <summary>The latest step record as UTF-8 (empty before the first).</summary>
        public ReadOnlySpan<byte> LatestStepUtf8 => _latestStep.AsSpan(0, Math.Max(_latestLength, 0));

        /// <summary>Whether the latest step has not been sent whole to the pages yet.</summary>
        public bool LatestUnsent { get; set; }
    }
}

/// <summary>A list in fixed memory that keeps one item in every <see cref="Stride"/> offered: when full, it drops every
/// other item and doubles the stride, as <see cref="MonitorHistory"/> does, so it always spans everything offered.</summary>
internal sealed class DecimatingList<T>
{
    private readonly List<T> _items;
    private readonly int _capacity;
    private long _offered;

    public DecimatingList(int capacity)
    {
        _capacity = capacity + capacity % 2; // even, so that the kept items stay evenly spaced after halving
        _items = new List<T>(_capacity);
    }

    public IReadOnlyList<T> Items => _items;

    public int Stride { get; private set; } = 1;

    /// <summary>Whether the next item offered will be kept: an item that will not be need not be made.</summary>
    public bool KeepsNext => _offered % Stride == 0;

    /// <summary>Whether the last item offered was kept (it is then the last of <see cref="Items"/>).</summary>
    public bool KeptLast { get; private set; }

    /// <summary>Offers an item that is not kept (<see cref="KeepsNext"/> was false).</summary>
    public void Skip()
    {
        if (KeepsNext) throw new InvalidOperationException("the next item is kept: Add it");
        _offered++;
        KeptLast = false;
    }

    public void Add(T item)
    {
        KeptLast = KeepsNext;
        _offered++;
        if (!KeptLast) return;
        if (_items.Count == _capacity)
        {
            int kept = 0;
            for (int i = 0; i < _items.Count; i += 2) _items[kept++] = _items[i];
            _items.RemoveRange(kept, _items.Count - kept);
            Stride *= 2;
        }
        _items.Add(item);
    }
}
