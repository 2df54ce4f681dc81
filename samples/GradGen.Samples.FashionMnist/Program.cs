using System.Globalization;
using GradGen;
using GradGen.Dashboard;
using GradGen.Data;
using GradGen.IO;
using GradGen.Optim;
using GradGen.Plots;
using GradGen.Samples.FashionMnist;
using GradGen.Training;
using Spectre.Console;

// Trains FashionClassifier (784-256-128-64-10) on Fashion-MNIST and saves its weights as safetensors.
// Defaults and their measurements are in README.md.

// Options, their defaults and their error messages are in CommandLine.cs.
return GradGen.Samples.FashionMnist.CommandLine.Invoke(args, settings =>
{
    // --monitor prints a table every epoch, which progress bars would overwrite.
    settings = settings with
    {
        Plain = settings.Plain || settings.Monitor is not null || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive,
    };
    try
    {
        return Run(settings);
    }
    catch (Exception e) when (e is UserError or IdxFormatException or IOException or UnauthorizedAccessException or SafeTensorsException or NonFiniteGradientException
                                   or InvalidDataException)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
}, Console.Error);

static string Percent(double fraction, int decimals = 2) => (fraction * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

static int Run(Settings s)
{
    if (s.Replay is not null) return Replay(s);

    string outputPath = Path.GetFullPath(s.Output);
    string? outputDirectory = Path.GetDirectoryName(outputPath);
    if (outputDirectory is not null && !Directory.Exists(outputDirectory))
        throw new UserError($"--output: directory {outputDirectory} does not exist");
    if (Directory.Exists(outputPath))
        throw new UserError($"--output: {outputPath} is a directory; give a file name, for example {Path.Combine(outputPath, "fashion-mnist.safetensors")}");

    string? monitorDirectory = s.Monitor is null ? null : Path.GetFullPath(s.Monitor);
    if (monitorDirectory is not null)
    {
        if (File.Exists(monitorDirectory)) throw new UserError($"--monitor: {monitorDirectory} is a file; give a directory for the plots");
        Directory.CreateDirectory(monitorDirectory);
    }

    var loaded = TrainingData.Load(s.Data, s.Embedded);
    DataSet train = loaded.Train, evaluation = loaded.Evaluation;
    string limited = "";
    if (s.Limit is int n && n < train.Count)
    {
        train = train.Slice(0, n);
        limited = $"; training on the first {n:N0} images only (--limit)";
    }
    var (mean, std) = train.ComputeMeanStd();
    train.Normalize(mean, std);
    evaluation.Normalize(mean, std);

    Console.WriteLine($"Data: {loaded.Description}{limited}");
    Console.WriteLine($"Normalised with the training set's mean {mean:F4} and std {std:F4}");
    string lrText = s.LearningRate.ToString(CultureInfo.InvariantCulture);
    Console.WriteLine($"Network: FashionClassifier 784-256-128-64-10 ReLU, {FashionClassifier.ParameterTotal:N0} parameters; " +
        $"{s.Optimizer}{(s.Optimizer == "sgd" ? " (momentum 0.9)" : "")} lr {lrText}{(s.WeightDecay != 0 ? $" weight decay {s.WeightDecay.ToString(CultureInfo.InvariantCulture)}" : "")}, " +
        $"{s.Schedule} schedule, batch {s.BatchSize}, {s.Epochs} epoch{(s.Epochs == 1 ? "" : "s")}, seed {s.Seed}, {s.Threads} thread{(s.Threads == 1 ? "" : "s")}");

    int batch = Math.Min(s.BatchSize, Math.Max(train.Count, 1));
    var network = new FashionClassifier(maxBatch: Math.Max(batch, 256), seed: s.Seed);
    var batches = new BatchIterator(train, batch, shuffle: true, seed: s.Seed ^ 0x9E3779B97F4A7C15UL);
    // FashionClassifier is compiled with Instrumentation.Statistics, so it always has a monitor; without --monitor it
    // is off and each layer's pass only tests its flag. With several threads, a sampled step runs on the whole batch on
    // this network (TrainStep), so the statistics are the batch's; the other steps are data-parallel.
    var monitor = network.Monitor!;
    monitor.Enabled = monitorDirectory is not null || s.Dashboard || s.Log is not null;
    monitor.SampleEvery = s.SampleEvery;
    // --dashboard and --log: the monitor's samples become records (src/GradGen.Dashboard), written to the log. With
    // --dashboard, a second process serves the log as it grows (DashboardProcess): the server is not in this process.
    string? logPath = s.Log ?? (s.Dashboard ? DashboardProcess.TemporaryLog() : null);
    using var feed = logPath is not null ? new DashboardFeed(logPath) : null;
    var run = feed?.AddRun("FashionClassifier", $"FashionClassifier 784-256-128-64-10, {s.Optimizer}, batch {s.BatchSize}", monitor);
    feed?.Flush(); // the run record, for the server's first read
    using var dashboard = s.Dashboard ? DashboardProcess.Start(logPath!, deleteLog: s.Log is null, s) : null;
    Optimizer<float> optimizer = s.Optimizer switch
    {
        "sgd" => new Sgd<float>(network.ParameterCount, s.LearningRate, momentum: 0.9, weightDecay: s.WeightDecay),
        "adam" => new Adam<float>(network.ParameterCount, s.LearningRate, weightDecay: s.WeightDecay),
        _ => new AdamW<float>(network.ParameterCount, s.LearningRate, weightDecay: s.WeightDecay),
    };
    if (s.Schedule == "cosine") optimizer.Schedule = new CosineAnnealing(maxSteps: s.Epochs * batches.BatchCount);

    if (s.Doctor) Doctor.BeforeTraining(network, train, Console.Out);
    // The dashboard's findings panel: the doctor's diagnosis before training, then after an epoch as often as
    // Doctor.Schedule allows, and of the final weights.
    if (run is not null) Doctor.PublishTo(run, network, train, monitor.Step);
    var diagnoses = run is null ? null : new Doctor.Schedule(run, network, train);

    using var trainer = new ClassifierTrainer<FashionClassifier>(network, optimizer, s.Threads);
    var rows = new List<(EpochResult Train, EvaluationResult Eval)>();
    string evalName = loaded.EvaluationName.ToLowerInvariant();
    string evalShort = evalName == "validation" ? "val" : evalName;

    var costsBefore = TrainingCosts.Now();
    if (s.Plain)
    {
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            var result = trainer.TrainEpoch(batches);
            var eval = trainer.Evaluate(evaluation);
            rows.Add((result, eval));
            run?.RecordEpoch(epoch, monitor.Step, result.Loss, result.Accuracy, evalName, eval.Loss, eval.Accuracy);
            diagnoses?.AfterEpoch(monitor.Step);
            Console.WriteLine($"Epoch {epoch.ToString().PadLeft(s.Epochs.ToString().Length)}/{s.Epochs}  loss {result.Loss:F4}  train {Percent(result.Accuracy)}  " +
                $"{evalName} {Percent(eval.Accuracy)} (loss {eval.Loss:F4})  {result.Elapsed.TotalSeconds:F1} s  {result.ImagesPerSecond:N0} img/s");
            if (monitorDirectory is not null) Console.Write(monitor.FormatTable());
        }
    }
    else
    {
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 }, new PercentageColumn())
            .Start(context =>
            {
                for (int epoch = 1; epoch <= s.Epochs; epoch++)
                {
                    string label = $"Epoch {epoch.ToString().PadLeft(s.Epochs.ToString().Length)}/{s.Epochs}";
                    var task = context.AddTask(label, maxValue: batches.BatchCount);
                    long lastUpdate = 0;
                    var result = trainer.TrainEpoch(batches, p =>
                    {
                        task.Value = p.BatchesDone;
                        // A new description (a string) a few times a second, not every batch.
                        if (p.IsLast || p.Elapsed.Ticks - lastUpdate > TimeSpan.TicksPerSecond / 5)
                        {
                            lastUpdate = p.Elapsed.Ticks;
                            task.Description = $"{label} loss {p.RunningLoss:F4} train {Percent(p.RunningAccuracy, 1)} {p.ImagesPerSecond:N0} img/s";
                        }
                    });
                    var eval = trainer.Evaluate(evaluation);
                    rows.Add((result, eval));
                    run?.RecordEpoch(epoch, monitor.Step, result.Loss, result.Accuracy, evalName, eval.Loss, eval.Accuracy);
                    diagnoses?.AfterEpoch(monitor.Step);
                    task.Description = $"{label} loss {result.Loss:F4} train {Percent(result.Accuracy, 1)} {evalShort} [bold]{Percent(eval.Accuracy)}[/] {result.ImagesPerSecond:N0} img/s";
                    task.StopTask();
                }
            });
    }

    var costsOfTraining = TrainingCosts.Now() - costsBefore;
    diagnoses?.AfterTraining(monitor.Step);
    // Accuracy of the final weights on the whole training set (the per-epoch figure is measured while training).
    var finalTrain = trainer.Evaluate(train);
    var finalEval = rows.Count > 0 ? rows[^1].Eval : trainer.Evaluate(evaluation);

    var table = new Table().Title("Fashion-MNIST training").AddColumns(
        new TableColumn("Epoch").RightAligned(), new TableColumn("Train loss").RightAligned(), new TableColumn("Train acc").RightAligned(),
        new TableColumn($"{loaded.EvaluationName} loss").RightAligned(), new TableColumn($"{loaded.EvaluationName} acc").RightAligned(),
        new TableColumn("Time").RightAligned(), new TableColumn("Images/s").RightAligned());
    for (int i = 0; i < rows.Count; i++)
    {
        var (t, e) = rows[i];
        table.AddRow((i + 1).ToString(), t.Loss.ToString("F4"), Percent(t.Accuracy), e.Loss.ToString("F4"), Percent(e.Accuracy),
            $"{t.Elapsed.TotalSeconds:F2} s", t.ImagesPerSecond.ToString("N0"));
    }
    double totalSeconds = rows.Sum(r => r.Train.Elapsed.TotalSeconds);
    table.AddEmptyRow();
    table.AddRow(new Markup("[bold]final[/]"), new Text(finalTrain.Loss.ToString("F4")), new Markup($"[bold]{Percent(finalTrain.Accuracy)}[/]"),
        new Text(finalEval.Loss.ToString("F4")), new Markup($"[bold]{Percent(finalEval.Accuracy)}[/]"),
        new Text($"{(rows.Count > 0 ? totalSeconds / rows.Count : 0):F2} s"), new Text(rows.Count > 0 ? (rows.Sum(r => r.Train.Samples) / totalSeconds).ToString("N0") : "-"));
    table.Caption($"Per epoch, train acc is measured while training; \"final\" re-evaluates the final weights on all {train.Count:N0} training images (time: mean per epoch).");
    AnsiConsole.Write(table);

    var file = network.ToSafeTensors();
    file.SetMetadata("normalize_mean", mean.ToString("R", CultureInfo.InvariantCulture));
    file.SetMetadata("normalize_std", std.ToString("R", CultureInfo.InvariantCulture));
    file.SetMetadata($"{evalName}_accuracy", finalEval.Accuracy.ToString("R", CultureInfo.InvariantCulture));
    file.SetMetadata("data", loaded.Description);
    file.Write(outputPath);
    Console.WriteLine($"Training took {totalSeconds:F1} s; {loaded.EvaluationName.ToLowerInvariant()} accuracy {Percent(finalEval.Accuracy)}");
    Console.WriteLine($"Saved weights to {outputPath}");
    Console.WriteLine($"While training: {costsOfTraining}");
    if (s.Doctor)
    {
        Console.WriteLine();
        Doctor.AfterTraining(network, train, Console.Out);
        // The Hessian's plot goes beside the monitor's plots, or beside the saved weights without --monitor.
        Doctor.Hessian(network, train, monitorDirectory ?? Path.GetDirectoryName(outputPath)!, Console.Out);
    }
    if (monitorDirectory is not null)
    {
        foreach (var plot in MonitorPlots.WriteAll(monitor, monitorDirectory, $"FashionClassifier, {s.Optimizer}, batch {s.BatchSize}"))
            Console.WriteLine($"Wrote {plot.Png} and {Path.GetFileName(plot.Svg)}");
    }
    feed?.Flush();
    if (s.Log is not null) Console.WriteLine($"Wrote the dashboard records to {Path.GetFullPath(s.Log)}");
    if (run is { Dropped: > 0 }) Console.WriteLine($"warning: the dashboard dropped {run.Dropped} sampled steps (training outran its writer; raise --sample-every)");
    if (dashboard is not null) dashboard.WaitForCtrlC();
    return 0;
}

// --dashboard --replay FILE [--follow]: serves a log without training; with --follow, also what is appended to it.
static int Replay(Settings s)
{
    using var feed = s.Follow ? DashboardFeed.Follow(s.Replay!) : DashboardFeed.Replay(s.Replay!);
    if (s.Refresh is { } refresh) feed.PageInterval = TimeSpan.FromSeconds(refresh);
    using var dashboard = Dashboard.Start(feed, s);
    Dashboard.WaitForCtrlC(dashboard, feed.Following, s.UntilInputCloses);
    return 0;
}

internal sealed record Settings(int Epochs, int BatchSize, string Optimizer, double LearningRate, double WeightDecay, string Schedule,
    ulong Seed, int Threads, string? Data, bool Embedded, int? Limit, string Output, bool Plain, string? Monitor,
    bool Dashboard = false, int Port = 0, System.Net.IPAddress? Bind = null, string? Log = null, string? Replay = null,
    int SampleEvery = Defaults.MonitorSampleEvery, bool Doctor = false, bool Follow = false, bool UntilInputCloses = false,
    double? Refresh = null);

/// <summary>The dashboard server of --dashboard, started and stopped around the run.</summary>
internal sealed class Dashboard : IDisposable
{
    private Dashboard(DashboardServer server) => Server = server;

    public DashboardServer Server { get; }

    public static Dashboard Start(DashboardFeed feed, Settings s)
    {
        var server = DashboardServer.StartAsync(feed, s.Bind, s.Port).GetAwaiter().GetResult();
        Console.WriteLine($"Dashboard: {server.Url}");
        return new Dashboard(server);
    }

    /// <summary>Keeps serving until Ctrl+C, so that the finished run can still be looked at; or until
    /// <paramref name="following"/> (a followed log) fails on a bad line, whose error is then thrown; or, with
    /// <paramref name="untilInputCloses"/>, until standard input ends (the training process that started this one has
    /// ended, however it ended: its end of the pipe is closed by the kernel).</summary>
    public static void WaitForCtrlC(Dashboard dashboard, Task? following = null, bool untilInputCloses = false)
    {
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
        Console.WriteLine($"The dashboard stays up at {dashboard.Server.Url}; press Ctrl+C to stop.");
        var inputClosed = untilInputCloses ? Console.OpenStandardInput().CopyToAsync(Stream.Null) : Task.Delay(Timeout.Infinite);
        if (Task.WaitAny(stop.Task, following ?? Task.Delay(Timeout.Infinite), inputClosed) == 1) following!.GetAwaiter().GetResult();
    }

    public void Dispose() => Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
}

internal static class Defaults
{
    public const int Epochs = 10;
    public const int BatchSize = 128;
    public const string Optimizer = "adam";
    public const string Schedule = "cosine";
    public const int MaxDefaultThreads = 4;

    /// <summary>With --monitor, one training step in this many is sampled.</summary>
    public const int MonitorSampleEvery = 10;

    public static int Threads => Math.Clamp(Environment.ProcessorCount, 1, MaxDefaultThreads);

    public static double LearningRate(string optimizer) => optimizer == "sgd" ? 0.05 : 2e-3;
}

/// <summary>What kept the training thread from training, for the dashboard's overhead (docs/dashboard-overhead.md): the garbage
/// collector's counts and pause time (every collection suspends the training thread), and, on Linux, the training
/// thread's time on a core, waiting for one, and its context switches (/proc/thread-self/schedstat and status).</summary>
internal readonly record struct TrainingCosts(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated, long Stopwatch,
    long RunNs, long WaitNs, long Voluntary, long Involuntary)
{
    public static TrainingCosts Now()
    {
        long run = 0, wait = 0, voluntary = 0, involuntary = 0;
        if (File.Exists("/proc/thread-self/schedstat"))
        {
            string[] schedstat = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
            run = long.Parse(schedstat[0], CultureInfo.InvariantCulture);
            wait = long.Parse(schedstat[1], CultureInfo.InvariantCulture);
            foreach (string line in File.ReadLines("/proc/thread-self/status"))
            {
                if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)) voluntary = long.Parse(line.AsSpan(24).Trim(), CultureInfo.InvariantCulture);
                if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal)) involuntary = long.Parse(line.AsSpan(27).Trim(), CultureInfo.InvariantCulture);
            }
        }
        return new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(),
            System.Diagnostics.Stopwatch.GetTimestamp(), run, wait, voluntary, involuntary);
    }

    public static TrainingCosts operator -(TrainingCosts a, TrainingCosts b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused, a.Allocated - b.Allocated, a.Stopwatch - b.Stopwatch,
            a.RunNs - b.RunNs, a.WaitNs - b.WaitNs, a.Voluntary - b.Voluntary, a.Involuntary - b.Involuntary);

    public override string ToString()
    {
        double wall = System.Diagnostics.Stopwatch.GetElapsedTime(0, Stopwatch).TotalSeconds;
        return FormattableString.Invariant($"gen0 {Gen0}, gen1 {Gen1}, gen2 {Gen2}, paused {Paused.TotalMilliseconds:F1} ms, allocated {Allocated / 1e6:F1} MB; ") +
            FormattableString.Invariant($"training thread: wall {wall:F3} s, on a core {RunNs / 1e9:F3} s, waiting for a core {WaitNs / 1e9:F3} s, ") +
            FormattableString.Invariant($"context switches {Voluntary} voluntary, {Involuntary} involuntary");
    }
}
