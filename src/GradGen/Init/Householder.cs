namespace GradGen;

/// <summary>A small Householder QR decomposition, enough for orthogonal initialisation (no dependency).</summary>
internal static class Householder
{
    /// <summary>
    /// Computes the thin Q of A = Q·R, normalised so that R's diagonal is positive (each column of Q multiplied by the
    /// sign of R's diagonal element, a zero counting as +1). A is m×n with m ≥ n, column-major (column j is
    /// <c>a[j·m .. j·m + m)</c>) and is overwritten; Q (m×n, column-major, orthonormal columns) is written to
    /// <paramref name="q"/>.
    /// </summary>
    internal static void ThinQ(double[] a, int m, int n, double[] q)
    {
        if (m < n) throw new ArgumentException($"Thin QR needs rows ≥ columns, got {m}×{n}.");
        var reflectors = new double[m * n];   // v_k in column k, rows k..m−1, unit length (or zero: H_k = I)
        var diagonal = new double[n];         // R[k, k]

        for (int k = 0; k < n; k++)
        {
            // H_k = I − 2·v·vᵀ maps A[k.., k] to (alpha, 0, …, 0); alpha takes the sign opposite to A[k, k],
            // so that v[k] = A[k, k] − alpha does not cancel.
            Span<double> column = a.AsSpan(k * m, m);
            double norm = 0;
            for (int i = k; i < m; i++) norm += column[i] * column[i];
            norm = Math.Sqrt(norm);
            if (norm == 0) continue;           // column already zero: H_k = I, R[k, k] = 0
            double alpha = column[k] >= 0 ? -norm : norm;

            Span<double> v = reflectors.AsSpan(k * m, m);
            for (int i = k; i < m; i++) v[i] = column[i];
            v[k] -= alpha;
            double vNorm = 0;
            for (int i = k; i < m; i++) vNorm += v[i] * v[i];
            vNorm = Math.Sqrt(vNorm);
            for (int i = k; i < m; i++) v[i] /= vNorm;

            for (int j = k; j < n; j++) Reflect(v, a.AsSpan(j * m, m), k, m);
            diagonal[k] = alpha;
        }

        // Q = H_0·H_1·…·H_{n−1}·[I_n; 0]: apply the reflectors to the first n columns of I, last one first.
        Array.Clear(q);
        for (int j = 0; j < n; j++) q[j * m + j] = 1;
        for (int k = n - 1; k >= 0; k--)
        {
            ReadOnlySpan<double> v = reflectors.AsSpan(k * m, m);
            for (int j = 0; j < n; j++) Reflect(v, q.AsSpan(j * m, m), k, m);
        }

        // Make R's diagonal positive: Q·D and D·R with D = diag(sign R[k, k]) (torch: q *= diag(r).sign()).
        for (int j = 0; j < n; j++)
        {
            if (diagonal[j] >= 0) continue;
            Span<double> column = q.AsSpan(j * m, m);
            for (int i = 0; i < m; i++) column[i] = -column[i];
        }
    }

    /// <summary>x ← (I − 2·v·vᵀ)·x on rows from..m−1.</summary>
    private static void Reflect(ReadOnlySpan<double> v, Span<double> x, int from, int m)
    {
        double dot = 0;
        for (int i = from; i < m; i++) dot += v[i] * x[i];
        if (dot == 0) return;
        double s = 2 * dot;
        for (int i = from; i < m; i++) x[i] -= s * v[i];
    }
}
