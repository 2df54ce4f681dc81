using System.Text.Json;
using GradGen.Monitoring;

namespace GradGen.Dashboard.Tests;

/// <summary>The JSON lines of --log against the monitor, their replay, the bounded store, and bad logs.</summary>
public sealed class LogAndReplayTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gradgen-dashboard-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Trains 2 epochs of 8 steps, every step sampled, writing the log; returns the run and the log's lines.</summary>
    private (ShortRun Run, string Path, string[] Lines, IReadOnlyList<string> LiveSnapshot) TrainWithLog()
    {
        string path = Path.Combine(_directory, "run.jsonl");
        var run = new ShortRun(sampleEvery: 1);
        IReadOnlyList<string> snapshot;
        using (var feed = new DashboardFeed(path))
        {
            var runFeed = feed.AddRun("FashionClassifier", "test", run.Monitor);
            run.Train(runFeed, images: 512, batch: 64, epochs: 2);
            runFeed.PublishFindings(run.Monitor.Step, [new DashboardFinding("warning", "dead-units", "2", "a test finding")]);
            feed.Flush();
            snapshot = feed.Snapshot();
        }
        return (run, path, File.ReadAllLines(path), snapshot);
    }

    [Fact]
    public void TheLogHoldsEverySampledStepAsTheMonitorHadIt()
    {
        var (run, _, lines, _) = TrainWithLog();
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();

        var header = records[0];
        Assert.Equal(("run", DashboardSchema.Name, DashboardSchema.Version), (header.GetProperty("type").GetString(), header.GetProperty("schema").GetString(), header.GetProperty("version").GetInt32()));
        Assert.Equal(run.Monitor.Layers.Select(l => l.Name), header.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(run.Monitor.Parameters.Select(p => p.Name), header.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));

        var steps = records.Where(r => r.GetProperty("type").GetString() == "step").ToList();
        Assert.Equal(run.Recorder.All.Select(s => s.Step), steps.Select(s => s.GetProperty("step").GetInt64()));
        Assert.Equal(16, steps.Count);
        foreach (var step in steps)
        {
            var expected = run.Recorder[step.GetProperty("step").GetInt64()];
            Assert.Equal(expected.Loss, step.GetProperty("loss").GetDouble());
            var layers = step.GetProperty("layers").EnumerateArray().ToList();
            for (int i = 0; i < layers.Count; i++)
            {
                var grad = layers[i].GetProperty("grad");
                var act = layers[i].GetProperty("act");
                Assert.Equal(expected.Gradients[i], new GradientStatistics(grad.GetProperty("mean").GetDouble(), grad.GetProperty("std").GetDouble(),
                    grad.GetProperty("l2").GetDouble(), grad.GetProperty("maxAbs").GetDouble()));
                Assert.Equal(expected.Activations[i], new ActivationStatistics(act.GetProperty("mean").GetDouble(), act.GetProperty("std").GetDouble(),
                    act.GetProperty("min").GetDouble(), act.GetProperty("max").GetDouble(), act.GetProperty("dead").GetDouble(), act.GetProperty("saturated").GetDouble()));
                Assert.Equal(expected.Histograms.AsSpan(i * GradientHistogram.Length, GradientHistogram.Length).ToArray(), Histogram(layers[i].GetProperty("hist")));
            }
            var parameters = step.GetProperty("parameters").EnumerateArray().ToList();
            for (int p = 0; p < parameters.Count; p++)
            {
                Assert.Equal(expected.Parameters[p].GradientNorm, parameters[p].GetProperty("gradNorm").GetDouble());
                var ratio = parameters[p].GetProperty("updateRatio");
                // NaN (no update applied yet on a sampled step) is written as null.
                Assert.Equal(expected.Parameters[p].UpdateRatio, ratio.ValueKind == JsonValueKind.Null ? double.NaN : ratio.GetDouble());
            }
        }

        var epochs = records.Where(r => r.GetProperty("type").GetString() == "epoch").ToList();
        Assert.Equal([8L, 16L], epochs.Select(e => e.GetProperty("step").GetInt64()));
        // The pump writes each epoch record right after its last step's record, before the next epoch's steps, though
        // the training thread queues it while those steps may still wait in the ring.
        foreach (long end in new[] { 8L, 16L })
        {
            int epoch = Array.FindIndex(lines, l => l.StartsWith("{\"type\":\"epoch\"", StringComparison.Ordinal) && l.Contains($"\"step\":{end},"));
            Assert.True(epoch > 0 && lines[epoch - 1].StartsWith($"{{\"type\":\"step\",\"run\":\"FashionClassifier\",\"step\":{end},", StringComparison.Ordinal),
                $"the epoch ending at step {end} follows that step's record; it follows: {(epoch > 0 ? lines[epoch - 1][..60] : "nothing")}");
        }
        var findings = records.Single(r => r.GetProperty("type").GetString() == "findings");
        Assert.Equal("a test finding", findings.GetProperty("findings")[0].GetProperty("message").GetString());
    }

    /// <summary>The 81 counts back from the trimmed {zeros, first, counts} form.</summary>
    private static long[] Histogram(JsonElement hist)
    {
        var counts = new long[GradientHistogram.Length];
        counts[0] = hist.GetProperty("zeros").GetInt64();
        int first = hist.GetProperty("first").GetInt32();
        int k = 0;
        foreach (var c in hist.GetProperty("counts").EnumerateArray()) counts[1 + first + k++] = c.GetInt64();
        Assert.True(counts.Sum() > 0);
        return counts;
    }

    [Fact]
    public async Task AReplayServesTheLogsRecords()
    {
        var (_, path, log, live) = TrainWithLog();
        using var feed = DashboardFeed.Replay(path);
        Assert.True(feed.IsReplay);
        // A page gets the same records from the replay as it got from the live run.
        Assert.Equal(live, feed.Snapshot());
        // The store hands out a run's records by kind: the run, its steps (without histograms but the last), its
        // epochs, its findings.
        string[] kinds = ["run", "step", "epoch", "findings"];
        var lines = log.OrderBy(l => Array.FindIndex(kinds, k => l.StartsWith($"{{\"type\":\"{k}\"", StringComparison.Ordinal))).ToArray();
        int lastStep = Array.FindLastIndex(lines, l => l.StartsWith("{\"type\":\"step\"", StringComparison.Ordinal));
        for (int i = 0; i < lastStep; i++)
            if (lines[i].StartsWith("{\"type\":\"step\"", StringComparison.Ordinal)) lines[i] = DashboardSchema.WithoutHistograms(lines[i]);
        Assert.DoesNotContain("\"hist\"", lines[lastStep - 1]);
        Assert.Contains("\"hist\"", lines[lastStep]);
        Assert.Equal(lines, feed.Snapshot());
        await using var server = await DashboardServer.StartAsync(feed);
        using var http = new HttpClient();
        string served = await http.GetStringAsync(new Uri(server.Url, "/api/records"));
        Assert.Equal(lines, served.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task AFollowServesTheLinesAppendedToTheLogAsAnotherWriterWritesThem()
    {
        var (_, _, log, live) = TrainWithLog();
        string path = Path.Combine(_directory, "followed.jsonl");
        using var writer = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        void Append(string text)
        {
            writer.Write(System.Text.Encoding.UTF8.GetBytes(text));
            writer.Flush();
        }
        Append(log[0] + "\n" + log[1][..10]); // the run record, and the start of a line not finished yet
        using var feed = DashboardFeed.Follow(path);
        Assert.Equal([log[0]], feed.Snapshot());
        Append(log[1][10..] + "\n" + string.Concat(log.Skip(2).Select(l => l + "\n")));
        for (var wait = System.Diagnostics.Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromSeconds(10) && feed.Snapshot().Count < live.Count;)
            await Task.Delay(50);
        // What a page gets from the followed log is what it got from the live run, the line split across two writes whole.
        Assert.Equal(live, feed.Snapshot());
        Assert.False(feed.Following!.IsCompleted);

        Append("not json\n");
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => feed.Following.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal($"{path}, line {log.Length + 1}: not JSON", e.Message.Split(" (")[0]);
    }

    [Fact]
    public void TheDoctorsDiagnosisBecomesTheRunsFindingsAndAddsNoStep()
    {
        string path = Path.Combine(_directory, "doctor.jsonl");
        var run = new ShortRun(sampleEvery: 1);
        // A dead layer the doctor must report: every bias of layer "1" far below zero, so its ReLU never fires.
        var bias = run.Network.Parameter("1.bias");
        bias.Fill(-100f);
        var data = Samples.FashionMnist.TrainingData.Load(null, forceEmbedded: true).Train.Slice(0, 64);
        Diagnostics.Diagnosis diagnosis;
        using (var feed = new DashboardFeed(path))
        {
            var runFeed = feed.AddRun("FashionClassifier", "test", run.Monitor);
            diagnosis = Diagnostics.GradientDoctor.Diagnose(run.Network, data.Features.AsSpan(0, 64 * data.FeatureSize), data.Labels.AsSpan(0, 64));
            runFeed.PublishDiagnosis(run.Monitor.Step, diagnosis);
        }
        var records = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.DoesNotContain(records, r => r.GetProperty("type").GetString() == "step"); // Diagnose's own pass is not a training step
        var findings = Assert.Single(records, r => r.GetProperty("type").GetString() == "findings").GetProperty("findings").EnumerateArray().ToList();
        Assert.Equal(diagnosis.Findings.Count, findings.Count);
        Assert.Contains(diagnosis.Findings, f => f.Kind == Diagnostics.FindingKind.DeadReLU && f.Layer == "1");
        for (int i = 0; i < findings.Count; i++)
        {
            var f = diagnosis.Findings[i];
            Assert.Equal((f.Severity.ToString().ToLowerInvariant(), f.Kind.ToString(), f.Layer, f.Message),
                (findings[i].GetProperty("severity").GetString(), findings[i].GetProperty("code").GetString(),
                 findings[i].GetProperty("layer").GetString(), findings[i].GetProperty("message").GetString()));
        }
    }

    [Fact]
    public void TheSamplesDiagnosisScheduleDiagnosesFirstAndTheFinalWeightsOnce()
    {
        string path = Path.Combine(_directory, "schedule.jsonl");
        var run = new ShortRun(sampleEvery: 1);
        var data = Samples.FashionMnist.TrainingData.Load(null, forceEmbedded: true).Train.Slice(0, 64);
        using (var feed = new DashboardFeed(path))
        {
            var schedule = new Samples.FashionMnist.Doctor.Schedule(feed.AddRun("FashionClassifier", "test", run.Monitor), run.Network, data);
            schedule.AfterEpoch(10);    // the first: no wait before it
            schedule.AfterTraining(10); // the final weights were diagnosed at this step already
            schedule.AfterTraining(12); // they were not
        }
        var steps = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("type").GetString() == "findings").Select(r => r.GetProperty("step").GetInt64());
        Assert.Equal([10L, 12L], steps);
    }

    [Fact]
    public void TheStoreStaysBoundedAndSpansTheWholeRun()
    {
        // A log of 20,000 sampled steps, replayed: the store keeps at most StoreCapacity of them, evenly spaced from
        // the first step, and the latest.
        var (_, _, lines, _) = TrainWithLog();
        string step = DashboardSchema.WithoutHistograms(lines.First(l => l.Contains("\"type\":\"step\"")));
        string longLog = Path.Combine(_directory, "long.jsonl");
        using (var writer = new StreamWriter(longLog))
        {
            writer.WriteLine(lines[0]);
            for (int i = 1; i <= 20_000; i++) writer.WriteLine(step.Replace("\"step\":1,", $"\"step\":{i},"));
        }
        using var feed = DashboardFeed.Replay(longLog);
        var kept = feed.Snapshot().Skip(1).Select(r => JsonDocument.Parse(r).RootElement.GetProperty("step").GetInt64()).ToList();
        Assert.InRange(kept.Count, DashboardFeed.StoreCapacity / 2, DashboardFeed.StoreCapacity + 1);
        Assert.Equal(1, kept[0]);
        Assert.Equal(20_000, kept[^1]);
        long stride = kept[1] - kept[0];
        for (int i = 1; i < kept.Count - 1; i++) Assert.Equal(stride, kept[i] - kept[i - 1]);
    }

    [Theory]
    [InlineData("not json", "line 2: not JSON")]
    [InlineData("[1, 2]", "line 2: not a dashboard record")]
    [InlineData("{\"type\":\"step\",\"run\":\"other\",\"step\":1}", "line 2: a step record of run 'other' comes before that run's run record")]
    [InlineData("{\"type\":\"run\",\"run\":\"FashionClassifier\",\"schema\":\"gradgen-dashboard\",\"version\":1}", "line 2: a second run record for run 'FashionClassifier'")]
    public void ABadLineIsRefusedNamingTheFileAndLine(string line, string message)
    {
        string path = Path.Combine(_directory, "bad.jsonl");
        File.WriteAllLines(path, [RunRecord(1), line]);
        var e = Assert.Throws<InvalidDataException>(() => DashboardFeed.Replay(path));
        Assert.Equal($"{path}, {message}", e.Message.Split(" (")[0]);
    }

    [Fact]
    public void ALogOfAnotherVersionOrNoneIsRefused()
    {
        string path = Path.Combine(_directory, "v2.jsonl");
        File.WriteAllLines(path, [RunRecord(2)]);
        Assert.Equal($"{path}, line 1: schema 'gradgen-dashboard' version 2; this build reads 'gradgen-dashboard' version 1",
            Assert.Throws<InvalidDataException>(() => DashboardFeed.Replay(path)).Message);
        File.WriteAllLines(path, ["{\"type\":\"future-record\",\"run\":\"x\"}"]);
        Assert.Equal($"{path}: no run record: the file is not a dashboard log written by --log",
            Assert.Throws<InvalidDataException>(() => DashboardFeed.Replay(path)).Message);
    }

    private static string RunRecord(int version) =>
        $"{{\"type\":\"run\",\"run\":\"FashionClassifier\",\"schema\":\"gradgen-dashboard\",\"version\":{version},\"layers\":[],\"parameters\":[]}}";
}
