namespace GradGen.Curvature;

/// <summary>A stochastic estimate with its standard error (the sample standard deviation over √samples).</summary>
public readonly record struct TraceEstimate(double Trace, double StandardError, int Samples);

/// <summary>Hutchinson's estimator of tr H (Hutchinson 1989): for z with independent ±1 entries, E[zᵀHz] = tr H, and
/// the Rademacher choice has the smallest variance of such estimators, 2·Σ_{i≠j} Hᵢⱼ². One product per sample.</summary>
public static class Hutchinson
{
    /// <summary>The mean of zᵀHz over <paramref name="samples"/> Rademacher vectors, with its standard error.</summary>
    public static TraceEstimate Trace(HessianOperator hessian, int samples, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 2);
        int n = hessian.Dimension;
        var rng = new Rng(seed);
        var z = new double[n];
        var hz = new double[n];
        double mean = 0, m2 = 0;
        for (int s = 0; s < samples; s++)
        {
            for (int i = 0; i < n; i++) z[i] = (rng.NextUInt64() & 1) == 0 ? 1.0 : -1.0;
            hessian.Multiply(z, hz);
            double x = System.Numerics.Tensors.TensorPrimitives.Dot<double>(z, hz);
            // Welford's running mean and sum of squared deviations.
            double delta = x - mean;
            mean += delta / (s + 1);
            m2 += delta * (x - mean);
        }
        return new TraceEstimate(mean, Math.Sqrt(m2 / (samples - 1) / samples), samples);
    }
}
