using System.Xml.Linq;
using GradGen.Curvature;
using GradGen.Optim;

namespace GradGen.Plots.Tests;

// Small enough for its full Hessian (123 parameters) in a test.
[Network(6, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(12, Activation.Tanh)]
[Dense(3)]
public partial class SmallCurvatureNet;

/// <summary>The Hessian plots, rendered from real spectra: the full Hessian's eigenvalues of a small network, and the
/// stochastic Lanczos quadrature density of <see cref="PlottedNet"/> (compiled with statistics, which the dual passes
/// must leave alone) after a few training steps.</summary>
public sealed class CurvaturePlotTests : IDisposable
{
    private readonly string _directory = Environment.GetEnvironmentVariable("GRADGEN_PLOTS_KEEP")
        ?? Path.Combine(Path.GetTempPath(), "gradgen-curvature-plots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("GRADGEN_PLOTS_KEEP") is null && Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static (float[] Input, int[] Labels) Batch(int batch, int inputs, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        var x = Enumerable.Range(0, batch * inputs).Select(_ => (float)rng.NextNormal()).ToArray();
        var y = Enumerable.Range(0, batch).Select(_ => rng.NextInt(classes)).ToArray();
        return (x, y);
    }

    [Fact]
    public void TheEigenvalueHistogramIsAPngOfItsSizeAndAnSvg()
    {
        var net = new SmallCurvatureNet(32, seed: 1);
        var (x, y) = Batch(32, 6, 3, seed: 2);
        var full = FullHessian.Compute(HessianOperator.Create(net, x, y));
        Assert.True(full.NegativeCount() > 0); // the histogram has both colours

        var files = CurvaturePlots.WriteEigenvalueHistogram(full.Eigenvalues, _directory, "SmallCurvatureNet");

        PlotTests.CheckPng(files.Png, MonitorPlots.Width, MonitorPlots.Height);
        string svg = PlotTests.CheckSvg(files.Svg, MonitorPlots.Width, MonitorPlots.Height);
        Assert.Contains($"{full.Eigenvalues.Length} eigenvalues, {full.NegativeCount(0)} negative", svg);
    }

    [Fact]
    public void TheSpectralDensityIsAPngOfItsSizeAndAnSvg()
    {
        var net = new PlottedNet(16, seed: 1);
        var (x, y) = Batch(16, 12, 3, seed: 3);
        var adam = new Adam<float>(net.ParameterCount, 0.01);
        for (int step = 0; step < 3; step++) net.TrainStep(x, y, adam);
        long sampled = net.Monitor!.Step;

        var report = HessianAnalysis.Analyze(net, x, y, k: 3, traceSamples: 4, probes: 2, steps: 30);
        var (grid, density) = report.Density.Smoothed();
        var files = CurvaturePlots.WriteSpectralDensity(grid, density, report.TopEigenvalues.Select(r => r.Value).ToArray(), _directory, "PlottedNet");

        Assert.Equal(sampled, net.Monitor.Step); // the dual passes recorded nothing in the network's monitor
        PlotTests.CheckPng(files.Png, MonitorPlots.Width, MonitorPlots.Height);
        string svg = PlotTests.CheckSvg(files.Svg, MonitorPlots.Width, MonitorPlots.Height);
        Assert.Contains("top 3 eigenvalues (Lanczos)", svg);
    }

    [Fact]
    public void EmptyOrMismatchedDataIsRefused()
    {
        Assert.Throws<ArgumentException>(() => CurvaturePlots.WriteEigenvalueHistogram([], _directory, "x"));
        var e = Assert.Throws<ArgumentException>(() => CurvaturePlots.WriteSpectralDensity([0.0, 1.0], [1.0], [], _directory, "x"));
        Assert.Contains("2 grid points for 1 density values", e.Message);
    }
}
