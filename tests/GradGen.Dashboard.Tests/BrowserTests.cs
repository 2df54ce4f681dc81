using System.Globalization;
using System.Text.Json;
using GradGen.Monitoring;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using Xunit.Abstractions;

namespace GradGen.Dashboard.Tests;

/// <summary>The page in a real headless Chromium (Debian's <c>chromium</c> and <c>chromium-driver</c>, which .ci/run
/// installs), driven by Selenium: it follows a training run live, and the numbers it shows are the monitor's.</summary>
public class BrowserTests(ITestOutputHelper output)
{
    internal const string Chromium = "/usr/bin/chromium", ChromeDriver = "/usr/bin/chromedriver";

    internal static void SkipWithoutChromium() => Skip.If(!File.Exists(Chromium) || !File.Exists(ChromeDriver),
        $"needs Debian's chromium and chromium-driver ({Chromium}, {ChromeDriver}): apt-get install chromium chromium-driver (.ci/run does)");

    [SkippableFact]
    public async Task ThePageFollowsTrainingAndShowsTheMonitorsStatistics()
    {
        SkipWithoutChromium();

        var run = new ShortRun(sampleEvery: 2);
        using var feed = new DashboardFeed();
        var runFeed = feed.AddRun("FashionClassifier", "FashionClassifier 784-256-128-64-10 on Fashion-MNIST (test run)", run.Monitor);
        await using var server = await DashboardServer.StartAsync(feed);
        using var driver = StartChromium();
        driver.Navigate().GoToUrl(server.Url);

        // Before training: the run's column is there, with no step on its charts.
        var before = WaitFor(driver, "FashionClassifier", "1", "the run's column", page => page is not null);
        Assert.Equal(0, before!.Points);

        // Train while the page is open: 4 epochs of 64 steps, one step in 2 sampled, so 128 samples reach the page
        // through the event stream, without a reload.
        await Task.Run(() => run.Train(runFeed, images: 4096, batch: 64, epochs: 4));
        long lastSampled = run.Recorder.All[^1].Step;
        var page = WaitFor(driver, "FashionClassifier", "1", "at least 20 steps on the charts and the last sampled step in the table",
            p => p is { Points: >= 20 } && p.Step == lastSampled)!;
        output.WriteLine($"the page shows {page.Points} steps; its table is at step {page.Step}");

        // Layer "1" (Dense(128, ReLU)) at the table's step: each value the page holds is the monitor's, exactly, and
        // the text it shows is that value rounded.
        var expected = run.Recorder[page.Step];
        int layer = run.Monitor.Layers.Single(l => l.Name == "1").Index;
        int weight = run.Monitor.Parameters.ToList().FindIndex(p => p.Name == run.Monitor.Layers[layer].Parameters[0]);
        var g = expected.Gradients[layer];
        CheckNumber(page, "grad.mean", g.Mean);
        CheckNumber(page, "grad.std", g.Std);
        CheckNumber(page, "grad.maxAbs", g.MaxAbs);
        CheckNumber(page, "updateRatio", expected.Parameters[weight].UpdateRatio);
        CheckPercent(page, "act.dead", expected.Activations[layer].ZeroFraction);
        Assert.Equal(("", "—"), page.Cells["act.saturated"]); // ReLU does not saturate
        CheckCharts(driver, "FashionClassifier", "1", page.Step, expected.Histograms.AsSpan(layer * GradientHistogram.Length, GradientHistogram.Length),
            expected.Parameters[weight].GradientNorm);

        string screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard.png");
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(screenshot);
        output.WriteLine($"screenshot: {screenshot}");
        // GRADGEN_UPDATE_SCREENSHOT=1 refreshes the README's screenshot (docs/images/dashboard.png) from this run.
        if (Environment.GetEnvironmentVariable("GRADGEN_UPDATE_SCREENSHOT") == "1")
            File.Copy(screenshot, Path.Combine(RepositoryRoot(), "docs", "images", "dashboard.png"), overwrite: true);
    }

    /// <summary>Records faster than any training sends them, straight into the page's handler: one every 5 ms for 2.5 s.
    /// The page redraws at most once a second (and at least once while they arrive), shows the last one, and does not
    /// redraw while none arrives.</summary>
    [SkippableFact]
    public async Task ThePageRedrawsAtMostOnceASecondHoweverFastRecordsArrive()
    {
        SkipWithoutChromium();

        var run = new ShortRun(sampleEvery: 1);
        using var feed = new DashboardFeed();
        feed.AddRun("FashionClassifier", "redraw test", run.Monitor);
        await using var server = await DashboardServer.StartAsync(feed);
        using var driver = StartChromium();
        driver.Navigate().GoToUrl(server.Url);
        WaitFor(driver, "FashionClassifier", "1", "the run's column", page => page is not null);
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);

        string json = ((IJavaScriptExecutor)driver).ExecuteAsyncScript(FloodScript, "FashionClassifier") as string
            ?? throw new InvalidOperationException("the flood script returned no result");
        output.WriteLine(json);
        using var result = JsonDocument.Parse(json);
        var r = result.RootElement;
        int records = r.GetProperty("records").GetInt32(), renders = r.GetProperty("renders").GetInt32();
        double seconds = r.GetProperty("elapsed").GetDouble() / 1000;
        Assert.True(records >= 100, $"only {records} records in {seconds:F1} s");
        Assert.InRange(renders, 2, (int)Math.Ceiling(seconds) + 1);
        Assert.Equal(records, r.GetProperty("shown").GetInt32());
        Assert.Equal(records, r.GetProperty("points").GetInt32());
        Assert.Equal(0, r.GetProperty("idleRenders").GetInt32());
    }

    private const string FloodScript = """
        const [run, done] = [arguments[0], arguments[arguments.length - 1]];
        const view = runs.get(run);
        const renders = () => Number(document.body.dataset.renders || 0);
        const before = renders();
        const layers = view.layers.map(() => ({ grad: { mean: 0.5, std: 1, l2: 1, maxAbs: 2 }, act: { mean: 0, std: 1, min: 0, max: 1, dead: 0, saturated: 0 }, hist: null }));
        const parameters = view.meta.parameters.map(() => ({ gradNorm: 1, weightNorm: 1, updateRatio: 0.001 }));
        let step = 0;
        const start = performance.now();
        const timer = setInterval(() => {
          onRecord({ type: "step", run, step: ++step, loss: 1 / step, layers, parameters });
          if (performance.now() - start < 2500) return;
          clearInterval(timer);
          // A second and a half for the last redraw, then as long again with no record.
          setTimeout(() => {
            const after = renders();
            const result = { records: step, renders: after - before, elapsed: performance.now() - start,
                             shown: Number(view.section.dataset.step), points: Number(view.section.dataset.points) };
            setTimeout(() => done(JSON.stringify(Object.assign(result, { idleRenders: renders() - after }))), 1500);
          }, 1500);
        }, 5);
        """;

    // The charts' own data (uPlot's columns) for one layer: the histogram's bin edges and shares, and the norm curve's last point.
    private const string ChartsScript = """
        const [run, layer] = arguments;
        const view = runs.get(run);
        const hist = view.histChart.data, norms = view.normChart.data;
        const h = view.histChart.series.findIndex(s => s.label && s.label.split(" ")[0] === layer);
        const n = view.normChart.series.findIndex(s => s.label === layer);
        return JSON.stringify({ step: Number(view.section.dataset.step), edges: Array.from(hist[0]), shares: Array.from(hist[h]),
                                lastStep: norms[0][norms[0].length - 1], lastNorm: norms[n][norms[n].length - 1] });
        """;

    /// <summary>What the charts draw for layer <paramref name="layer"/> at <paramref name="step"/>: each histogram bin's
    /// share at its lower edge 2^(MinExponent + k) is the monitor's count over the layer's total (exact zeros included),
    /// empty bins inside the layer's range are 0, and the norm curve ends at the step's gradient norm.</summary>
    private static void CheckCharts(IWebDriver driver, string run, string layer, long step, ReadOnlySpan<long> histogram, double gradientNorm)
    {
        string json = ((IJavaScriptExecutor)driver).ExecuteScript(ChartsScript, run, layer) as string
            ?? throw new InvalidOperationException("the charts script returned no result");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal(step, root.GetProperty("step").GetInt64());
        double total = 0;
        foreach (long count in histogram) total += count;
        var edges = root.GetProperty("edges").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var shares = root.GetProperty("shares").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (double?)null : e.GetDouble()).ToArray();
        Assert.Equal(edges.Length, shares.Length);
        // The layer's last drawn edge closes its last bin (a step is drawn from each edge to the next): it repeats that
        // bin's share and is no bin of its own.
        int closing = Array.FindLastIndex(shares, v => v is not null);
        Assert.True(closing > 0, $"layer {layer}'s histogram is not drawn");
        Assert.Equal(shares[closing - 1], shares[closing]);
        int drawn = 0;
        for (int j = 0; j < closing; j++)
        {
            int bin = (int)Math.Round(Math.Log2(edges[j])) - GradientHistogram.MinExponent;
            Assert.Equal(Math.Pow(2, GradientHistogram.MinExponent + bin), edges[j]);
            long count = histogram[1 + bin];
            if (shares[j] is not double share)
            {
                Assert.Equal(0, count); // outside the layer's bins
                continue;
            }
            Assert.Equal(count / total, share, 1e-12);
            drawn += count > 0 ? 1 : 0;
        }
        int nonEmpty = 0;
        for (int bin = 0; bin < GradientHistogram.Bins; bin++) nonEmpty += histogram[1 + bin] > 0 ? 1 : 0;
        Assert.Equal(nonEmpty, drawn);
        Assert.True(nonEmpty > 0, $"layer {layer} has no gradient histogram at step {step}");
        Assert.Equal(step, root.GetProperty("lastStep").GetInt64());
        Assert.Equal(gradientNorm, root.GetProperty("lastNorm").GetDouble(), gradientNorm * 1e-12);
    }

    internal static ChromeDriver StartChromium()
    {
        // The driver and browser are named explicitly, so Selenium downloads nothing.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1180");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>What the page shows for one layer of one run: the table's step, the points on the norm chart, and each
    /// cell's exact value (data-value) and text. Read in one script, so that a redraw cannot fall between the reads.</summary>
    internal sealed record PageState(long Step, int Points, Dictionary<string, (string Value, string Text)> Cells);

    private const string ReadScript = """
        const [run, layer] = arguments;
        const s = [...document.querySelectorAll('section.run')].find(e => e.dataset.run === run);
        if (!s) return null;
        const cells = {};
        const row = [...s.querySelectorAll('tr[data-layer]')].find(e => e.dataset.layer === layer);
        if (row) for (const td of row.querySelectorAll('td[data-field]')) cells[td.dataset.field] = [td.dataset.value || "", td.textContent];
        return JSON.stringify({ step: Number(s.dataset.step || 0), points: Number(s.dataset.points || 0), cells });
        """;

    private static PageState? Read(IWebDriver driver, string run, string layer)
    {
        if (((IJavaScriptExecutor)driver).ExecuteScript(ReadScript, run, layer) is not string json) return null;
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var cells = root.GetProperty("cells").EnumerateObject()
            .ToDictionary(p => p.Name, p => (p.Value[0].GetString()!, p.Value[1].GetString()!));
        return new PageState(root.GetProperty("step").GetInt64(), root.GetProperty("points").GetInt32(), cells);
    }

    /// <summary>Reads layer <paramref name="layer"/> of run <paramref name="run"/> until <paramref name="condition"/>
    /// holds (null: the run's column is not there yet), for at most 60 s.</summary>
    internal static PageState? WaitFor(IWebDriver driver, string run, string layer, string what, Func<PageState?, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        PageState? state = null;
        while (DateTime.UtcNow < deadline)
        {
            state = Read(driver, run, layer);
            if (condition(state)) return state;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"the page did not show {what} for run {run} within 60 s; last seen: {(state is null ? "no run" : $"step {state.Step}, {state.Points} points")}");
    }

    internal static void CheckNumber(PageState page, string field, double expected)
    {
        var (value, text) = page.Cells[field];
        Assert.True(double.IsFinite(expected), $"{field}: the monitor has {expected} at step {page.Step}");
        Assert.Equal(expected, double.Parse(value, CultureInfo.InvariantCulture));
        // Shown to 4 significant digits.
        double shown = double.Parse(text, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(shown - expected) <= 5.01e-4 * Math.Abs(expected), $"{field}: shows {text} for {expected:R}");
    }

    internal static void CheckPercent(PageState page, string field, double expected)
    {
        var (value, text) = page.Cells[field];
        Assert.Equal(expected, double.Parse(value, CultureInfo.InvariantCulture));
        Assert.Equal((100 * expected).ToString("F1", CultureInfo.InvariantCulture) + "%", text);
    }

    internal static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "GradGen.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no GradGen.sln above {AppContext.BaseDirectory}");
    }
}
