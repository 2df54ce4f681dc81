using System.Text;
using System.Text.Json;
using GradGen.Optim;
using GradGen.Samples.FashionMnist;

namespace GradGen.Dashboard.Tests;

/// <summary>What the feed sends the pages, on a clock the test moves: at most one send per
/// <see cref="DashboardFeed.PageInterval"/> (a second unless set), the steps the store keeps without their histograms, and each run's latest
/// step whole, last (docs/dashboard-overhead.md).</summary>
public class PageSendTests
{
    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private static readonly TimeSpan PumpTick = TimeSpan.FromMilliseconds(200);

    /// <summary>The records of one send: Server-Sent Events, "data: RECORD\n\n" each.</summary>
    private static List<JsonElement> Records(byte[] send) =>
        Encoding.UTF8.GetString(send).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            Assert.StartsWith("data: ", e, StringComparison.Ordinal);
            return JsonDocument.Parse(e["data: ".Length..]).RootElement;
        }).ToList();

    private static bool IsStep(JsonElement r) => r.GetProperty("type").GetString() == "step";

    private static bool HasHistograms(JsonElement step) => step.GetProperty("layers").EnumerateArray().All(l => l.TryGetProperty("hist", out _));

    [Fact]
    public void PagesAreSentAtMostOnceAnIntervalWithTheLatestStepWholeLast()
    {
        var time = new ManualTime();
        var run = new ShortRun(sampleEvery: 2);
        using var feed = new DashboardFeed(logPath: null, startPump: false, time);
        Assert.Equal(TimeSpan.FromSeconds(1), feed.PageInterval);
        var runFeed = feed.AddRun("FashionClassifier", "test", run.Monitor);
        var (_, updates, handle) = feed.Subscribe();
        try
        {
            long shown = 0;
            for (int epoch = 1; epoch <= 2; epoch++)
            {
                run.Train(runFeed, images: 512, batch: 64, epochs: 1); // 8 steps, 4 sampled
                // The pump's ticks write the samples at once, but the page gets nothing until a second has passed
                // since the last send (the first: since the feed started).
                for (int tick = 1; tick < 5; tick++)
                {
                    time.Advance(PumpTick);
                    feed.Tick(forcePages: false);
                    Assert.False(updates.TryRead(out _), $"epoch {epoch}: a send {tick * 200} ms after the last");
                }
                time.Advance(PumpTick);
                feed.Tick(forcePages: false);
                Assert.True(updates.TryRead(out byte[]? send), $"epoch {epoch}: no send a second after the last");
                Assert.False(updates.TryRead(out _), $"epoch {epoch}: two sends in one tick");

                var records = Records(send!);
                var steps = records.Where(IsStep).ToList();
                long[] sampled = run.Recorder.All.Select(s => s.Step).Where(s => s > shown).ToArray();
                Assert.Equal(4, sampled.Length);
                // Every sampled step (the store keeps all of them this early), then the latest again, whole, last.
                Assert.Equal(sampled.Append(sampled[^1]), steps.Select(s => s.GetProperty("step").GetInt64()));
                Assert.All(steps.SkipLast(1), s => Assert.False(HasHistograms(s)));
                Assert.True(HasHistograms(steps[^1]));
                Assert.True(IsStep(records[^1]));
                Assert.Single(records, r => r.GetProperty("type").GetString() == "epoch");
                shown = sampled[^1];
            }
        }
        finally
        {
            feed.Unsubscribe(handle);
        }
    }

    [Fact]
    public void ALongerPageIntervalHoldsTheSendsBackToIt()
    {
        var time = new ManualTime();
        var run = new ShortRun(sampleEvery: 2);
        using var feed = new DashboardFeed(logPath: null, startPump: false, time) { PageInterval = TimeSpan.FromSeconds(3) };
        var runFeed = feed.AddRun("FashionClassifier", "test", run.Monitor);
        var (_, updates, handle) = feed.Subscribe();
        try
        {
            for (int round = 1; round <= 2; round++)
            {
                run.Train(runFeed, images: 512, batch: 64, epochs: 1);
                for (int tick = 1; tick < 15; tick++)
                {
                    time.Advance(PumpTick);
                    feed.Tick(forcePages: false);
                    Assert.False(updates.TryRead(out _), $"round {round}: a send {tick * 200} ms after the last, with a 3 s interval");
                }
                time.Advance(PumpTick);
                feed.Tick(forcePages: false);
                Assert.True(updates.TryRead(out byte[]? send), $"round {round}: no send 3 s after the last");
                Assert.Equal(4 + 1, Records(send!).Count(IsStep)); // the 4 sampled steps, then the latest whole
            }
        }
        finally
        {
            feed.Unsubscribe(handle);
        }
        foreach (var bad in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(99), TimeSpan.FromHours(2) })
            Assert.Throws<ArgumentOutOfRangeException>(() => feed.PageInterval = bad);
        Assert.Equal(TimeSpan.FromSeconds(3), feed.PageInterval);
    }

    [Fact]
    public void APageIsSentOnlyTheStepsTheStoreKeeps()
    {
        const int batch = 16, steps = 2500;
        var time = new ManualTime();
        var network = new FashionClassifier(maxBatch: batch, seed: 1);
        var monitor = network.Monitor!;
        monitor.Enabled = true;
        monitor.SampleEvery = 1;
        using var feed = new DashboardFeed(logPath: null, startPump: false, time);
        feed.AddRun("FashionClassifier", "test", monitor);
        var (_, updates, handle) = feed.Subscribe();
        try
        {
            var rng = new Rng(5);
            var x = new float[batch * network.InputSize];
            foreach (ref float v in x.AsSpan()) v = (float)rng.NextNormal();
            var y = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
            var sgd = new Sgd<float>(network.ParameterCount, 0.01);

            // What the store keeps of steps 1, 2, ...: all of the first 1,000, then one in 2, then one in 4.
            var store = new DecimatingList<long>(DashboardFeed.StoreCapacity);
            var expected = new List<long>();
            var received = new List<long>();
            for (int i = 1; i <= steps; i++)
            {
                network.TrainStep(x, y, sgd);
                Assert.Equal(i, monitor.Step);
                if (store.KeepsNext)
                {
                    store.Add(i);
                    expected.Add(i);
                }
                else store.Skip();
                if (i % 100 != 0) continue;
                time.Advance(feed.PageInterval);
                feed.Tick(forcePages: false);
                Assert.True(updates.TryRead(out byte[]? send));
                var sent = Records(send!).Where(IsStep).ToList();
                Assert.Equal(i, sent[^1].GetProperty("step").GetInt64()); // the latest, whole, last
                Assert.True(HasHistograms(sent[^1]));
                received.AddRange(sent.SkipLast(1).Select(s => s.GetProperty("step").GetInt64()));
            }
            Assert.Equal(1000 + 500 + 125, expected.Count);
            Assert.Equal(expected, received);
        }
        finally
        {
            feed.Unsubscribe(handle);
        }
    }
}
