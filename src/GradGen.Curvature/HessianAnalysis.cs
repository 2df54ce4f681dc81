using System.Globalization;
using System.Numerics;
using System.Text;

namespace GradGen.Curvature;

/// <summary>What <see cref="HessianAnalysis.Analyze"/> measured on one batch: the top eigenvalues (Lanczos), the trace
/// (Hutchinson) and the spectral density (stochastic Lanczos quadrature), and the products they cost.</summary>
public sealed record CurvatureReport(int Parameters, int BatchSize, RitzValue[] TopEigenvalues, TraceEstimate Trace,
    SpectralDensity Density, long Products, TimeSpan Elapsed)
{
    /// <summary>A few lines for the console.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Hessian of the mean loss on a batch of {BatchSize}, {Parameters:N0} parameters ({Products} exact Hessian-vector products, {Elapsed.TotalSeconds:F1} s):");
        text.AppendLine(c, $"  top eigenvalues (Lanczos): {string.Join(", ", TopEigenvalues.Select(r => r.Value.ToString("G5", c)))}");
        text.AppendLine(c, $"  largest residual bound:    {TopEigenvalues.Max(r => r.Residual):E1}");
        text.AppendLine(c, $"  trace (Hutchinson, {Trace.Samples} samples): {Trace.Trace:G5} ± {Trace.StandardError:G2}");
        double negative = Density.Nodes.Select((t, j) => t < 0 ? Density.Weights[j] : 0).Sum();
        text.Append(c, $"  spectral density (SLQ): eigenvalues from {Density.Nodes.Min():G4} to {Density.Nodes.Max():G4}; weight below 0: {negative:P1}");
        return text.ToString();
    }
}

/// <summary>One-call curvature analysis of a trained network: what the FashionMnist sample's <c>--doctor</c> prints after
/// training, and what the eigenvalue histogram plot (GradGen.Plots.CurvaturePlots) draws.</summary>
public static class HessianAnalysis
{
    /// <summary>The <paramref name="k"/> largest eigenvalues of the Hessian of the mean loss on this batch, descending.</summary>
    public static RitzValue[] TopEigenvalues<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int k = 5, ulong seed = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
        => Lanczos.TopEigenvalues(HessianOperator.Create(network, input, targets), k, seed: seed);

    /// <summary>Top eigenvalues, trace and spectral density of the Hessian of the mean loss on this batch.</summary>
    /// <param name="k">Top eigenvalues to report.</param>
    /// <param name="traceSamples">Hutchinson samples (one product each).</param>
    /// <param name="probes">Stochastic Lanczos quadrature probes, <paramref name="steps"/> products each.</param>
    public static CurvatureReport Analyze<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets,
        int k = 5, int traceSamples = 10, int probes = 2, int steps = 40, ulong seed = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hessian = HessianOperator.Create(network, input, targets);
        var top = Lanczos.TopEigenvalues(hessian, k, seed: seed);
        var trace = Hutchinson.Trace(hessian, traceSamples, seed);
        var density = SpectralDensity.Estimate(hessian, probes, steps, seed);
        return new CurvatureReport(hessian.Dimension, hessian.BatchSize, top, trace, density, hessian.Products, clock.Elapsed);
    }
}
