using System.Globalization;
using ScottPlot;

namespace GradGen.Plots;

/// <summary>The Hessian's spectrum (GradGen.Curvature), each written as PNG and SVG at <see cref="MonitorPlots.Width"/> ×
/// <see cref="MonitorPlots.Height"/>. Both take plain arrays, so GradGen.Plots needs no reference to GradGen.Curvature:
/// <list type="bullet">
/// <item><see cref="WriteEigenvalueHistogram"/>: the histogram of all eigenvalues (a small network's full Hessian,
/// <c>FullHessian.Eigenvalues</c>), the article's figure, counts on a log scale since most eigenvalues sit near 0;</item>
/// <item><see cref="WriteSpectralDensity"/>: the smoothed eigenvalue density of a large network's Hessian (stochastic
/// Lanczos quadrature, <c>SpectralDensity.Smoothed()</c>), on a log scale, with the top eigenvalues from Lanczos marked.</item>
/// </list></summary>
public static class CurvaturePlots
{
    /// <summary>Writes the histogram of <paramref name="eigenvalues"/> in <paramref name="bins"/> equal bins, negative
    /// ones in another colour, as DIR/NAME.png and DIR/NAME.svg.</summary>
    public static PlotFiles WriteEigenvalueHistogram(ReadOnlySpan<double> eigenvalues, string directory, string title,
        string name = "hessian-eigenvalues", int bins = 60)
    {
        if (eigenvalues.IsEmpty) throw new ArgumentException("no eigenvalues to plot", nameof(eigenvalues));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bins);
        BundledFont.Register();
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (double l in eigenvalues)
        {
            low = Math.Min(low, l);
            high = Math.Max(high, l);
        }
        double width = high > low ? (high - low) / bins : 1;
        var counts = new int[bins];
        int negative = 0;
        foreach (double l in eigenvalues)
        {
            counts[Math.Min(bins - 1, (int)((l - low) / width))]++;
            if (l < 0) negative++;
        }

        var plot = new Plot();
        plot.Font.Set(BundledFont.FamilyName);
        var bars = new List<Bar>();
        var logs = new List<double>();
        for (int b = 0; b < bins; b++)
        {
            if (counts[b] == 0) continue;
            // Log scale: a bar of count c reaches log10(c) + 1 above a baseline at log10(0.1), so a single eigenvalue shows.
            double center = low + (b + 0.5) * width;
            bars.Add(new Bar { Position = center, ValueBase = -1, Value = Math.Log10(counts[b]), Size = width * 0.9, FillColor = center < 0 ? Colors.C3 : Colors.C0 });
            logs.Add(Math.Log10(counts[b]));
        }
        logs.Add(-1);
        plot.Add.Bars(bars);
        MonitorPlots.LogAxis(plot, logs);
        plot.XLabel("eigenvalue λ of the Hessian", 14);
        plot.YLabel("eigenvalues per bin", 14);
        var c = CultureInfo.InvariantCulture;
        plot.Title(string.Create(c, $"{title}   —   {eigenvalues.Length} eigenvalues, {negative} negative; λ from {low:G4} to {high:G4}"), 15);
        return MonitorPlots.Write(directory, name, MonitorPlots.Width, MonitorPlots.Height, null, (canvas, rect) => plot.Render(canvas, rect));
    }

    /// <summary>Writes the density <paramref name="density"/> on <paramref name="grid"/> (log y, values below 1e-6 of the
    /// peak drawn at that floor) with a dashed line at each of <paramref name="topEigenvalues"/>, as DIR/NAME.png and DIR/NAME.svg.</summary>
    public static PlotFiles WriteSpectralDensity(ReadOnlySpan<double> grid, ReadOnlySpan<double> density, ReadOnlySpan<double> topEigenvalues,
        string directory, string title, string name = "hessian-spectrum")
    {
        if (grid.Length != density.Length || grid.Length < 2)
            throw new ArgumentException($"{grid.Length} grid points for {density.Length} density values; need the same number, at least 2", nameof(density));
        BundledFont.Register();
        double peak = 0;
        foreach (double d in density) peak = Math.Max(peak, d);
        // Between separated eigenvalues the smoothed density falls to nothing: it is drawn at a floor of 1e-6 of the
        // peak there, so the log axis keeps to the six decades that matter.
        double floor = Math.Log10(1e-6 * peak);
        var logs = new double[grid.Length];
        for (int i = 0; i < grid.Length; i++) logs[i] = density[i] > 1e-6 * peak ? Math.Log10(density[i]) : floor;
        var plot = new Plot();
        plot.Font.Set(BundledFont.FamilyName);
        var line = plot.Add.ScatterLine(grid.ToArray(), logs);
        line.LineWidth = 2;
        line.Color = Colors.C0;
        line.LegendText = "density (stochastic Lanczos quadrature)";
        for (int k = 0; k < topEigenvalues.Length; k++)
        {
            var marker = plot.Add.VerticalLine(topEigenvalues[k]);
            marker.Color = Colors.C3;
            marker.LinePattern = LinePattern.Dashed;
            marker.LineWidth = 1.5f;
            if (k == 0) marker.LegendText = $"top {topEigenvalues.Length} eigenvalues (Lanczos)";
        }
        MonitorPlots.LogAxis(plot, logs);
        plot.XLabel("eigenvalue λ of the Hessian", 14);
        plot.YLabel("density of eigenvalues", 14);
        plot.Title($"{title}   —   Hessian eigenvalue density", 15);
        plot.ShowLegend(Edge.Bottom);
        return MonitorPlots.Write(directory, name, MonitorPlots.Width, MonitorPlots.Height, null, (canvas, rect) => plot.Render(canvas, rect));
    }
}
