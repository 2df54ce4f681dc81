namespace GradGen.Curvature;

/// <summary>An eigenvalue estimate: a Ritz value of the Lanczos tridiagonal matrix, with its residual ‖H·y − θ·y‖ for
/// the Ritz vector y (= β·|last component|). Some eigenvalue of H lies within the residual of the Ritz value.</summary>
public readonly record struct RitzValue(double Value, double Residual);

/// <summary>The Lanczos process on a Hessian (Lanczos 1950; with full reorthogonalisation, Golub &amp; Van Loan §10.1):
/// m products build an orthonormal basis Q of the Krylov space span{q, Hq, …, H^(m−1)q} and the tridiagonal T = QᵀHQ,
/// whose eigenvalues (Ritz values) converge to H's extreme eigenvalues first.</summary>
public static class Lanczos
{
    /// <summary>The <paramref name="k"/> largest eigenvalues of H, descending, each with its residual bound.</summary>
    /// <param name="iterations">Lanczos steps (products); by default min(n, max(50, 4k)). More steps, smaller residuals.</param>
    /// <param name="seed">Seeds the random start vector.</param>
    public static RitzValue[] TopEigenvalues(HessianOperator hessian, int k, int iterations = 0, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        int n = hessian.Dimension;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        int m = iterations > 0 ? Math.Min(iterations, n) : Math.Min(n, Math.Max(50, 4 * k));
        ArgumentOutOfRangeException.ThrowIfLessThan(m, k, nameof(iterations));
        var (alpha, beta, lastBeta) = Run(hessian, RandomStart(n, seed), m);
        var (values, _, last) = SymmetricEigen.Tridiagonal(alpha, beta);
        int count = Math.Min(k, values.Length);
        var top = new RitzValue[count];
        for (int i = 0; i < count; i++)
        {
            int j = values.Length - 1 - i;
            top[i] = new RitzValue(values[j], Math.Abs(lastBeta * last[j]));
        }
        return top;
    }

    /// <summary>A random unit vector with independent ±1/√n entries (Rademacher), from <paramref name="seed"/>.</summary>
    internal static double[] RandomStart(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var v = new double[n];
        double entry = 1 / Math.Sqrt(n);
        for (int i = 0; i < n; i++) v[i] = (rng.NextUInt64() & 1) == 0 ? entry : -entry;
        return v;
    }

    /// <summary>At most <paramref name="steps"/> Lanczos steps from the unit vector <paramref name="start"/>: the diagonal
    /// α and off-diagonal β of T, and the β that would come next (the residual scale). Stops early when the Krylov space
    /// is invariant (β ≈ 0): then T's eigenvalues are exact eigenvalues of H.</summary>
    internal static (double[] Alpha, double[] Beta, double LastBeta) Run(HessianOperator hessian, double[] start, int steps)
    {
        int n = hessian.Dimension;
        var basis = new List<double[]>(steps) { start };
        var alpha = new List<double>(steps);
        var beta = new List<double>(steps);
        var w = new double[n];
        double lastBeta = 0, scale = 0;
        for (int j = 0; j < steps; j++)
        {
            double[] q = basis[j];
            hessian.Multiply(q, w);
            double a = Dot(q, w);
            alpha.Add(a);
            // w ← Hq − αq − βq₋₁, then orthogonalised against the whole basis: without it rounding lets Ritz values
            // repeat as ghost copies of the converged ones. A second pass only when the first removed much of w
            // (norm shrank below 1/√2 of itself: Daniel, Gragg, Kaufman and Stewart's criterion; "twice is enough").
            Axpy(-a, q, w);
            if (j > 0) Axpy(-beta[j - 1], basis[j - 1], w);
            double norm = Math.Sqrt(Dot(w, w));
            for (int pass = 0; pass < 2; pass++)
            {
                foreach (var b in basis) Axpy(-Dot(b, w), b, w);
                double before = norm;
                norm = Math.Sqrt(Dot(w, w));
                if (norm > 0.7071 * before) break;
            }
            lastBeta = norm;
            if (j == steps - 1) break;
            // An invariant subspace: every further direction is already in the basis (to rounding).
            scale = Math.Max(scale, Math.Abs(a) + norm);
            if (norm <= 1e-12 * scale) break;
            beta.Add(norm);
            var next = new double[n];
            for (int i = 0; i < n; i++) next[i] = w[i] / norm;
            basis.Add(next);
        }
        return (alpha.ToArray(), beta.ToArray(), lastBeta);
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => System.Numerics.Tensors.TensorPrimitives.Dot(x, y);

    private static void Axpy(double a, ReadOnlySpan<double> x, Span<double> y) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x, a, y, y);
}
