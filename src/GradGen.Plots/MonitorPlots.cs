using System.Globalization;
using GradGen.Monitoring;
using ScottPlot;
using SkiaSharp;

namespace GradGen.Plots;

/// <summary>The two files a plot is written to.</summary>
public sealed record PlotFiles(string Png, string Svg);

/// <summary>
/// The monitor's plots, each written as PNG and SVG:
/// <list type="bullet">
/// <item><c>WriteGradientFlow</c>: the article's gradient-flow figure, the gradient at each layer's output in
/// four panels (|mean|, std, L2 norm, max |g|), layers on the x axis by name, every panel on a log scale;</item>
/// <item><see cref="WriteGradientNormHistory"/>: each layer's gradient L2 norm over training, from the monitor's history;</item>
/// <item><see cref="WriteActivationStatistics"/>: each layer's dead (exactly zero) and saturated fractions.</item>
/// </list>
/// A log scale is drawn as log10 of the values with ticks labelled 10ⁿ: ScottPlot 5 has no log axis. Zeros (and
/// NaNs: a layer not recorded) have no place on it and are left out.
/// </summary>
public static class MonitorPlots
{
    /// <summary>Pixel size of the gradient-flow figure.</summary>
    public const int FlowWidth = 1200, FlowHeight = 800;

    /// <summary>Pixel size of the one-panel plots.</summary>
    public const int Width = 1000, Height = 600;

    private const int HeaderHeight = 44;

    /// <summary>Writes the gradient-flow figure of the monitor's last sampled step as DIR/NAME.png and DIR/NAME.svg.</summary>
    public static PlotFiles WriteGradientFlow(NetworkMonitor monitor, string directory, string title, string name = "gradient-flow")
    {
        ArgumentNullException.ThrowIfNull(monitor);
        return WriteGradientFlow(monitor.Layers, monitor.Gradients, directory, title, name);
    }

    /// <summary>Writes the gradient-flow figure of <paramref name="gradients"/> (one per layer, by
    /// <see cref="LayerInfo.Index"/>) as DIR/NAME.png and DIR/NAME.svg, <see cref="FlowWidth"/> × <see cref="FlowHeight"/>.</summary>
    public static PlotFiles WriteGradientFlow(IReadOnlyList<LayerInfo> layers, ReadOnlySpan<GradientStatistics> gradients,
        string directory, string title, string name = "gradient-flow")
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (gradients.Length != layers.Count)
            throw new ArgumentException($"{gradients.Length} gradient statistics for {layers.Count} layers", nameof(gradients));
        BundledFont.Register();
        var shown = layers.Where(l => l.GradientOffset >= 0).ToArray();
        string[] names = shown.Select(l => l.Name).ToArray();
        var stats = new GradientStatistics[shown.Length];
        for (int k = 0; k < shown.Length; k++) stats[k] = gradients[shown[k].Index];

        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2) };
        figure.AddPlots(4);
        var panels = figure.GetPlots();
        MeanPanel(panels[0], names, stats.Select(s => s.Mean).ToArray());
        LogPanel(panels[1], names, stats.Select(s => s.Std).ToArray(), "std", Colors.C1);
        LogPanel(panels[2], names, stats.Select(s => s.L2Norm).ToArray(), "L2 norm", Colors.C2);
        LogPanel(panels[3], names, stats.Select(s => s.MaxAbs).ToArray(), "max |g|", Colors.C3);
        return Write(directory, name, FlowWidth, FlowHeight, title + "   —   gradient of the loss at each layer's output, input side first",
            (canvas, rect) => figure.Render(canvas, rect));
    }

    /// <summary>Writes each layer's gradient L2 norm over the monitor's history (log y, one line per layer, coloured
    /// from the input side to the output side) as DIR/NAME.png and DIR/NAME.svg, <see cref="Width"/> × <see cref="Height"/>.</summary>
    public static PlotFiles WriteGradientNormHistory(NetworkMonitor monitor, string directory, string title, string name = "gradient-norm-history")
    {
        ArgumentNullException.ThrowIfNull(monitor);
        BundledFont.Register();
        var history = monitor.History;
        var shown = monitor.Layers.Where(l => l.GradientOffset >= 0).ToArray();
        var plot = new Plot();
        plot.Font.Set(BundledFont.FamilyName);
        var colormap = new ScottPlot.Colormaps.Viridis();
        var allLogs = new List<double>();
        for (int k = 0; k < shown.Length; k++)
        {
            var layer = shown[k];
            var steps = new List<double>(history.Count);
            var norms = new List<double>(history.Count);
            for (int i = 0; i < history.Count; i++)
            {
                double norm = history.GradientsAt(i)[layer.Index].L2Norm;
                if (!(norm > 0) || !double.IsFinite(norm)) continue;
                steps.Add(history.StepAt(i));
                norms.Add(Math.Log10(norm));
            }
            allLogs.AddRange(norms);
            var line = plot.Add.ScatterLine(steps.ToArray(), norms.ToArray());
            line.Color = colormap.GetColor(shown.Length == 1 ? 0 : 0.9 * k / (shown.Length - 1));
            line.LineWidth = 2;
            line.LegendText = k < 12 || k == shown.Length - 1 ? layer.Name : "";
        }
        LogAxis(plot, allLogs);
        plot.XLabel("training step", 14);
        plot.YLabel("L2 norm of the gradient at the layer's output", 14);
        plot.Title($"{title}   —   gradient L2 norm per layer, {history.Count} samples{Every(history.Stride * monitor.SampleEvery)}", 15);
        if (shown.Length > 0) plot.ShowLegend(Edge.Right);
        return Write(directory, name, Width, Height, null, (canvas, rect) => plot.Render(canvas, rect));
    }

    /// <summary>Writes each layer's dead fraction (outputs exactly 0) and saturated fraction (sigmoid and tanh layers,
    /// see <see cref="Saturation"/>) on the monitor's last sampled step, as grouped bars, to DIR/NAME.png and DIR/NAME.svg.</summary>
    public static PlotFiles WriteActivationStatistics(NetworkMonitor monitor, string directory, string title, string name = "activations")
    {
        ArgumentNullException.ThrowIfNull(monitor);
        BundledFont.Register();
        var layers = monitor.Layers;
        var activations = monitor.Activations;
        var plot = new Plot();
        plot.Font.Set(BundledFont.FamilyName);
        var dead = new List<Bar>();
        var saturated = new List<Bar>();
        for (int k = 0; k < layers.Count; k++)
        {
            var a = activations[layers[k].Index];
            dead.Add(new Bar { Position = k - 0.2, Value = Percent(a.ZeroFraction), Size = 0.4, FillColor = Colors.C0 });
            if (layers[k].Saturation != Saturation.None)
                saturated.Add(new Bar { Position = k + 0.2, Value = Percent(a.SaturatedFraction), Size = 0.4, FillColor = Colors.C1 });
        }
        plot.Add.Bars(dead).LegendText = "dead: output exactly 0";
        if (saturated.Count > 0) plot.Add.Bars(saturated).LegendText = "saturated: sigmoid < 0.01 or > 0.99, |tanh| > 0.99";
        LayerLabel(plot, LayerAxis(plot, layers.Select(l => l.Name).ToArray()));
        plot.Axes.SetLimitsY(0, 100);
        plot.YLabel("% of the layer's outputs in the batch", 14);
        plot.Title($"{title}   —   dead and saturated units, step {monitor.Step}", 15);
        plot.ShowLegend(Alignment.UpperRight);
        return Write(directory, name, Width, Height, null, (canvas, rect) => plot.Render(canvas, rect));
    }

    /// <summary>All three plots, under their default names.</summary>
    public static IReadOnlyList<PlotFiles> WriteAll(NetworkMonitor monitor, string directory, string title) =>
    [
        WriteGradientFlow(monitor, directory, title),
        WriteGradientNormHistory(monitor, directory, title),
        WriteActivationStatistics(monitor, directory, title),
    ];

    // ------------------------------------------------------------------ panels and axes

    /// <summary>The mean is signed: its magnitude on the log scale, its sign by the marker (filled ≥ 0, open &lt; 0).</summary>
    private static void MeanPanel(Plot plot, string[] names, double[] means)
    {
        plot.Font.Set(BundledFont.FamilyName);
        var logs = AddLogPoints(plot, means, m => m >= 0, Colors.C0, MarkerShape.FilledCircle, "mean ≥ 0");
        logs.AddRange(AddLogPoints(plot, means, m => m < 0, Colors.C0, MarkerShape.OpenCircle, "mean < 0"));
        LayerLabel(plot, LayerAxis(plot, names));
        LogAxis(plot, logs);
        plot.Title("|mean|   (filled: mean ≥ 0, open: mean < 0)", 15);
        plot.HideLegend(); // a legend box would hide points; the title explains the markers
    }

    private static void LogPanel(Plot plot, string[] names, double[] values, string what, Color color)
    {
        plot.Font.Set(BundledFont.FamilyName);
        var logs = AddLogPoints(plot, values, _ => true, color, MarkerShape.FilledCircle, what);
        LayerLabel(plot, LayerAxis(plot, names));
        LogAxis(plot, logs);
        plot.HideLegend(); // one series: the title names it
        plot.Title(what, 15);
    }

    /// <summary>The points i where <paramref name="where"/> holds and |v| &gt; 0, at (i, log10 |v|), joined by a thin line
    /// when every point is shown.</summary>
    private static List<double> AddLogPoints(Plot plot, double[] values, Func<double, bool> where, Color color, MarkerShape marker, string legend)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        for (int i = 0; i < values.Length; i++)
        {
            double v = Math.Abs(values[i]);
            if (!where(values[i]) || !(v > 0) || !double.IsFinite(v)) continue;
            xs.Add(i);
            ys.Add(Math.Log10(v));
        }
        if (xs.Count == 0) return ys;
        var scatter = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        scatter.MarkerShape = marker;
        scatter.MarkerSize = values.Length > 30 ? 5 : 8;
        scatter.LineWidth = where(1) && where(-1) ? 1 : 0; // no line through the mean's points: they skip the other sign
        scatter.LegendText = legend;
        return ys;
    }

    /// <summary>Layer names at 0, 1, 2, …; for a deep network every k-th and the last, so that at most about 16 labels
    /// show, rotated when they would collide. Returns whether they are rotated.</summary>
    private static bool LayerAxis(Plot plot, string[] names)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int every = Math.Max(1, (int)Math.Ceiling(names.Length / 16.0));
        int last = names.Length - 1;
        for (int i = 0; i < names.Length; i++)
        {
            // the last layer is always labelled; a multiple of k too close before it is not
            bool labelled = i == last || (i % every == 0 && last - i >= Math.Max(1, every / 2));
            if (labelled) ticks.AddMajor(i, names[i]);
            else ticks.AddMinor(i);
        }
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 11;
        bool rotated = names.Length > 8 || names.Any(n => n.Length > 6);
        if (rotated)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // The layout sizes the axis for unrotated labels: reserve room for the longest name on the diagonal.
            plot.Axes.Bottom.MinimumSize = 12 + 6.5f * names.Max(n => n.Length);
        }
        plot.Axes.SetLimitsX(-0.6, Math.Max(names.Length - 0.4, 0.6));
        return rotated;
    }

    /// <summary>ScottPlot does not make room for rotated tick labels, so the axis label would cross them: it is left out
    /// then, and the figure's title says the layers run from the input side.</summary>
    private static void LayerLabel(Plot plot, bool rotated)
    {
        if (!rotated) plot.XLabel("layer (input side first)", 13);
    }

    /// <summary>The y axis holds log10 of the values (<paramref name="logs"/>): labelled ticks at whole decades (every
    /// k-th decade over a wide range), and at 2× and 5× too when the data spans under two decades, so that a panel
    /// never shows fewer than two labels; unlabelled ticks at the other multiples.</summary>
    internal static void LogAxis(Plot plot, IReadOnlyCollection<double> logs)
    {
        plot.Grid.MajorLineColor = Colors.Black.WithOpacity(0.12);
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.04);
        plot.Grid.MinorLineWidth = 1;
        if (logs.Count == 0) return;
        double low = logs.Min(), high = logs.Max(), pad = Math.Max(0.1, 0.06 * (high - low));
        low -= pad;
        high += pad;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        int first = (int)Math.Floor(low), last = (int)Math.Ceiling(high);
        int every = Math.Max(1, (int)Math.Ceiling((last - first) / 10.0));
        bool fine = high - low < 2;
        for (int d = first; d <= last; d++)
        {
            if (d % every == 0) ticks.AddMajor(d, Decade(d));
            else ticks.AddMinor(d);
            if (every > 1) continue;
            for (int k = 2; k <= 9; k++)
            {
                double y = d + Math.Log10(k);
                if (fine && (k == 2 || k == 5)) ticks.AddMajor(y, Multiple(k, d));
                else ticks.AddMinor(y);
            }
        }
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(low, high);
    }

    /// <summary>k·10ⁿ, for the 2× and 5× ticks of a narrow log axis.</summary>
    private static string Multiple(int k, int n) =>
        n is >= -3 and <= 3 ? (k * Math.Pow(10, n)).ToString("0.###", CultureInfo.InvariantCulture) : k.ToString(CultureInfo.InvariantCulture) + "e" + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The label of tick n on a log axis: 10ⁿ as 1000, 100, 10, 1, 0.1, 0.01, 0.001 near 1 and as 1e-12 further away.</summary>
    public static string Decade(double exponent)
    {
        int n = (int)Math.Round(exponent);
        if (n is >= 0 and <= 3) return Math.Pow(10, n).ToString("0", CultureInfo.InvariantCulture);
        if (n is < 0 and >= -3) return Math.Pow(10, n).ToString("0.###", CultureInfo.InvariantCulture);
        return "1e" + n.ToString(CultureInfo.InvariantCulture);
    }

    private static string Every(int steps) => steps == 1 ? ", one per step" : $", one every {steps} steps";

    private static double Percent(double fraction) => double.IsFinite(fraction) ? 100 * fraction : 0;

    // ------------------------------------------------------------------ output

    /// <summary>Renders once onto a raster surface (PNG) and once onto Skia's SVG canvas, with an optional header line
    /// above the figure (a multiplot has no title of its own).</summary>
    internal static PlotFiles Write(string directory, string name, int width, int height, string? header, Action<SKCanvas, PixelRect> render)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Directory.CreateDirectory(directory);
        var files = new PlotFiles(Path.Combine(directory, name + ".png"), Path.Combine(directory, name + ".svg"));

        using (var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"Skia could not make a {width}×{height} surface"))
        {
            Draw(surface.Canvas, width, height, header, render);
            using var image = surface.Snapshot();
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(files.Png);
            png.SaveTo(file);
        }
        using (var file = File.Create(files.Svg))
        {
            // The SVG canvas writes its document when it is disposed.
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), file);
            Draw(canvas, width, height, header, render);
        }
        return files;
    }

    private static void Draw(SKCanvas canvas, int width, int height, string? header, Action<SKCanvas, PixelRect> render)
    {
        canvas.Clear(SKColors.White);
        if (header is null)
        {
            render(canvas, new PixelRect(0, width, height, 0));
            return;
        }
        using var font = new SKFont(BundledFont.Typeface(bold: true), 18);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(header, width / 2f, HeaderHeight * 0.65f, SKTextAlign.Center, font, paint);
        // A multiplot lays its panels out from the canvas origin, so move the origin below the header.
        canvas.Save();
        canvas.Translate(0, HeaderHeight);
        canvas.ClipRect(new SKRect(0, 0, width, height - HeaderHeight));
        render(canvas, new PixelRect(0, width, height - HeaderHeight, 0));
        canvas.Restore();
    }
}
