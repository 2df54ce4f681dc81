namespace GradGen.Curvature;

/// <summary>The Hessian's eigenvalue density by stochastic Lanczos quadrature (Golub &amp; Meurant; Ghorbani, Krishnan and
/// Xiao 2019, as in PyHessian): for a random unit vector v, vᵀf(H)v = Σⱼ τⱼ f(θⱼ), where θⱼ are the Ritz values of m
/// Lanczos steps from v and τⱼ the squared first components of T's eigenvectors (a Gauss quadrature exact for
/// polynomials of degree 2m − 1). Averaged over probes, the nodes θ with weights τ/probes are a discrete measure whose
/// smoothed version estimates the density of H's n eigenvalues (each counted 1/n). Costs probes·m products.</summary>
public sealed class SpectralDensity
{
    private SpectralDensity(double[] nodes, double[] weights, int dimension)
    {
        Nodes = nodes;
        Weights = weights;
        Dimension = dimension;
    }

    /// <summary>The quadrature of <paramref name="probes"/> random probes, <paramref name="steps"/> Lanczos steps each.</summary>
    public static SpectralDensity Estimate(HessianOperator hessian, int probes = 4, int steps = 40, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(probes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        var nodes = new List<double>();
        var weights = new List<double>();
        for (int p = 0; p < probes; p++)
        {
            var (alpha, beta, _) = Lanczos.Run(hessian, Lanczos.RandomStart(hessian.Dimension, seed + (ulong)p), Math.Min(steps, hessian.Dimension));
            var (values, first, _) = SymmetricEigen.Tridiagonal(alpha, beta);
            for (int j = 0; j < values.Length; j++)
            {
                nodes.Add(values[j]);
                weights.Add(first[j] * first[j] / probes);
            }
        }
        return new SpectralDensity(nodes.ToArray(), weights.ToArray(), hessian.Dimension);
    }

    /// <summary>The quadrature nodes (Ritz values of every probe).</summary>
    public double[] Nodes { get; }

    /// <summary>Each node's weight; together they sum to 1 (each probe's to 1/probes).</summary>
    public double[] Weights { get; }

    /// <summary>n, the Hessian's dimension.</summary>
    public int Dimension { get; }

    /// <summary>The estimated trace, n·Σ τθ (each probe's vᵀHv, times n).</summary>
    public double Trace => Dimension * Nodes.Select((t, j) => t * Weights[j]).Sum();

    /// <summary>The density on <paramref name="grid"/>, each node a Gaussian of width <paramref name="sigma"/>; it
    /// integrates to 1 (a share of eigenvalues per unit of λ).</summary>
    public double[] Evaluate(ReadOnlySpan<double> grid, double sigma)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sigma);
        var density = new double[grid.Length];
        double norm = 1 / (sigma * Math.Sqrt(2 * Math.PI));
        for (int g = 0; g < grid.Length; g++)
        {
            double sum = 0;
            for (int j = 0; j < Nodes.Length; j++)
            {
                double u = (grid[g] - Nodes[j]) / sigma;
                sum += Weights[j] * Math.Exp(-0.5 * u * u);
            }
            density[g] = sum * norm;
        }
        return density;
    }

    /// <summary><paramref name="points"/> evenly spaced λ from below the smallest node to above the largest, with the
    /// density there; σ is 1% of the nodes' range unless given (PyHessian's default smoothing is of that order).</summary>
    public (double[] Grid, double[] Density) Smoothed(int points = 400, double sigma = 0)
    {
        double lo = Nodes.Min(), hi = Nodes.Max();
        double range = Math.Max(hi - lo, 1e-12 * Math.Max(1, Math.Abs(hi)));
        if (sigma <= 0) sigma = 0.01 * range;
        lo -= 5 * sigma;
        hi += 5 * sigma;
        var grid = new double[points];
        for (int i = 0; i < points; i++) grid[i] = lo + (hi - lo) * i / (points - 1);
        return (grid, Evaluate(grid, sigma));
    }
}
