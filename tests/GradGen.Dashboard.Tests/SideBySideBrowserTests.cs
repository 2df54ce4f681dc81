using GradGen.Samples.GradientFlow;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace GradGen.Dashboard.Tests;

/// <summary>The GradientFlow sample's side-by-side page (<c>--dashboard</c>: the sigmoid stack beside the residual
/// network) in a real headless Chromium: both runs' columns follow training, and each shows its own network's
/// statistics.</summary>
public class SideBySideBrowserTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task BothNetworksFollowTrainingOnOnePageEachWithItsOwnStatistics()
    {
        BrowserTests.SkipWithoutChromium();

        // The sample's own networks, runs and training loop; 100 steps instead of its 600, so 25 samples a run.
        var sideBySide = new SideBySide(seed: 0);
        var sigmoid = new Recorder();
        var residual = new Recorder();
        sideBySide.Sigmoid.Monitor!.AddObserver(sigmoid);
        sideBySide.Residual.Monitor!.AddObserver(residual);
        using var feed = new DashboardFeed();
        sideBySide.AddTo(feed);
        await using var server = await DashboardServer.StartAsync(feed);
        using var driver = BrowserTests.StartChromium();
        driver.Navigate().GoToUrl(server.Url);

        // The input side's first weighted layer of each: where the sigmoid stack's gradients vanish, and the residual
        // network's first block.
        string sigmoidLayer = sideBySide.Sigmoid.Monitor.Layers.First(l => l.Parameters.Length > 0).Name;
        string residualLayer = sideBySide.Residual.Monitor.Layers.First(l => l.Parameters.Length > 0).Name;
        foreach (var (run, layer) in new[] { (SideBySide.SigmoidRun, sigmoidLayer), (SideBySide.ResidualRun, residualLayer) })
            Assert.Equal(0, BrowserTests.WaitFor(driver, run, layer, "the run's column", page => page is not null)!.Points);

        await Task.Run(() => sideBySide.Train(100));
        Check(driver, SideBySide.SigmoidRun, sigmoidLayer, sideBySide.Sigmoid.Monitor, sigmoid);
        Check(driver, SideBySide.ResidualRun, residualLayer, sideBySide.Residual.Monitor, residual);

        // The two columns are one page: the sigmoid stack's first, as the sample adds it.
        var columns = driver.FindElements(By.CssSelector("section.run")).Select(e => e.GetDomAttribute("data-run")).ToList();
        Assert.Equal([SideBySide.SigmoidRun, SideBySide.ResidualRun], columns);
        string screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard-side-by-side.png");
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(screenshot);
        output.WriteLine($"screenshot: {screenshot}");
    }

    /// <summary>Waits until <paramref name="run"/>'s charts show at least 20 steps and its table the last sampled step,
    /// then checks the gradient statistics the page shows for <paramref name="layer"/> against the monitor's.</summary>
    private void Check(IWebDriver driver, string run, string layer, GradGen.Monitoring.NetworkMonitor monitor, Recorder recorder)
    {
        long lastSampled = recorder.All[^1].Step;
        var page = BrowserTests.WaitFor(driver, run, layer, "at least 20 steps on the charts and the last sampled step in the table",
            p => p is { Points: >= 20 } && p.Step == lastSampled)!;
        output.WriteLine($"{run}: the page shows {page.Points} steps; its table is at step {page.Step}; layer {layer}: grad.std {page.Cells["grad.std"].Text}");
        var expected = recorder[page.Step];
        var g = expected.Gradients[monitor.Layers.Single(l => l.Name == layer).Index];
        BrowserTests.CheckNumber(page, "grad.mean", g.Mean);
        BrowserTests.CheckNumber(page, "grad.std", g.Std);
        BrowserTests.CheckNumber(page, "grad.maxAbs", g.MaxAbs);
    }
}
