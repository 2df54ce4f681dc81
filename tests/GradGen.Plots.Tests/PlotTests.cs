using System.Buffers.Binary;
using System.Xml.Linq;
using GradGen.Monitoring;
using GradGen.Optim;
using GradGen.Plots;
using SkiaSharp;

namespace GradGen.Plots.Tests;

// A ReLU stack and a sigmoid stack, so that the plots have dead units, saturated units and gradients that shrink.
[Network(12, Loss = Loss.SoftmaxCrossEntropy, Instrumentation = Instrumentation.Statistics)]
[Dense(32, Activation.ReLU)]
[Repeat(4)] [Dense(16, Activation.Sigmoid, WeightInit = Init.Normal, WeightStd = 1.0)] [EndRepeat]
[Dense(3)]
public partial class PlottedNet;

/// <summary>Each plot rendered from a network trained with its monitor on: a PNG of the promised size that holds a
/// drawing (not a blank page), and an SVG that parses and holds text in the bundled font.</summary>
public sealed class PlotTests : IDisposable
{
    // GRADGEN_PLOTS_KEEP=DIR keeps the plots in DIR, to look at them.
    private static readonly string? s_keep = Environment.GetEnvironmentVariable("GRADGEN_PLOTS_KEEP");
    private readonly string _directory = s_keep ?? Path.Combine(Path.GetTempPath(), "gradgen-plots-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (s_keep is null && Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static NetworkMonitor Train(int steps)
    {
        const int batch = 16;
        var net = new PlottedNet(batch, seed: 1);
        var rng = new Rng(2);
        var x = new float[batch * 12];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(3 * rng.NextNormal()); // large inputs: some sigmoids saturate
        var y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.NextInt(3);
        var adam = new Adam<float>(net.ParameterCount, 0.01);
        for (int step = 0; step < steps; step++) net.TrainStep(x, y, adam);
        return net.Monitor!;
    }

    [Fact]
    public void TheGradientFlowFigureIsAPngOfItsSizeAndAnSvg()
    {
        var monitor = Train(steps: 3);
        var files = MonitorPlots.WriteGradientFlow(monitor, _directory, "PlottedNet");
        CheckPng(files.Png, MonitorPlots.FlowWidth, MonitorPlots.FlowHeight);
        var svg = CheckSvg(files.Svg, MonitorPlots.FlowWidth, MonitorPlots.FlowHeight);
        foreach (var layer in monitor.Layers) Assert.Contains(layer.Name, svg); // the x axis names every layer
        Assert.Contains("max |g|", svg);
    }

    [Fact]
    public void TheGradientNormHistoryIsAPngOfItsSizeAndAnSvg()
    {
        var monitor = Train(steps: 40);
        Assert.Equal(40, monitor.History.Count);
        var files = MonitorPlots.WriteGradientNormHistory(monitor, _directory, "PlottedNet");
        CheckPng(files.Png, MonitorPlots.Width, MonitorPlots.Height);
        string svg = CheckSvg(files.Svg, MonitorPlots.Width, MonitorPlots.Height);
        Assert.Contains("training step", svg);
    }

    [Fact]
    public void TheActivationStatisticsAreAPngOfItsSizeAndAnSvg()
    {
        var monitor = Train(steps: 2);
        Assert.Contains(monitor.Layers, l => monitor.Activations[l.Index].SaturatedFraction > 0); // or the plot has no saturated bar
        Assert.Contains(monitor.Layers, l => monitor.Activations[l.Index].ZeroFraction > 0);
        var files = MonitorPlots.WriteActivationStatistics(monitor, _directory, "PlottedNet");
        CheckPng(files.Png, MonitorPlots.Width, MonitorPlots.Height);
        string svg = CheckSvg(files.Svg, MonitorPlots.Width, MonitorPlots.Height);
        Assert.Contains("saturated", svg);
    }

    [Fact]
    public void PlotsUseTheEmbeddedFontWhateverTheMachineHas()
    {
        BundledFont.Register();
        Assert.Equal(BundledFont.FamilyName, ScottPlot.Fonts.Default);
        Assert.Equal("Liberation Sans", ScottPlot.Fonts.GetTypeface(BundledFont.FamilyName, bold: false, italic: false).FamilyName);
        Assert.True(ScottPlot.Fonts.GetTypeface(BundledFont.FamilyName, bold: true, italic: false).IsBold);
    }

    [Theory]
    [InlineData(0, "1")]
    [InlineData(2, "100")]
    [InlineData(-2, "0.01")]
    [InlineData(-7, "1e-7")]
    [InlineData(5, "1e5")]
    public void DecadesAreLabelledAsTheirValues(double exponent, string label) => Assert.Equal(label, MonitorPlots.Decade(exponent));

    /// <summary>The signature, an IHDR chunk first with the expected width and height, the IEND chunk last; then Skia
    /// decodes it and finds both background and drawing (at least 1% of the pixels are not white).</summary>
    internal static void CheckPng(string path, int width, int height)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"{path}: {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.Equal("IEND", System.Text.Encoding.ASCII.GetString(bytes, bytes.Length - 8, 4));

        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        int drawn = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
                if (bitmap.GetPixel(x, y) != SKColors.White) drawn++;
        double share = drawn / (bitmap.Width / 2.0 * bitmap.Height / 2.0);
        Assert.InRange(share, 0.01, 0.9);
    }

    /// <summary>Parses as XML, an svg root of the expected size, with text in it; returns the text.</summary>
    internal static string CheckSvg(string path, int width, int height)
    {
        var document = XDocument.Load(path);
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal(svg + "svg", document.Root!.Name);
        Assert.Equal(width.ToString(), document.Root.Attribute("width")!.Value);
        Assert.Equal(height.ToString(), document.Root.Attribute("height")!.Value);
        var texts = document.Descendants(svg + "text").ToList();
        Assert.NotEmpty(texts);
        Assert.Contains(texts, t => (string?)t.Attribute("font-family") == BundledFont.FamilyName);
        return string.Join("\n", texts.Select(t => t.Value));
    }
}
