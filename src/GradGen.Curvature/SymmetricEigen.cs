using MathNet.Numerics.LinearAlgebra;

namespace GradGen.Curvature;

/// <summary>The eigendecomposition of a dense symmetric matrix, by MathNet.Numerics (Householder tridiagonalisation and
/// the implicit QL algorithm, LAPACK's dsyev method).</summary>
internal static class SymmetricEigen
{
    /// <summary>Eigenvalues in ascending order, and the matching unit eigenvectors as columns.</summary>
    public static (double[] Values, Matrix<double> Vectors) Decompose(Matrix<double> symmetric)
    {
        var evd = symmetric.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(c => c.Real).ToArray();
        int[] order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var vectors = Matrix<double>.Build.Dense(symmetric.RowCount, values.Length, (i, j) => evd.EigenVectors[i, order[j]]);
        return (order.Select(i => values[i]).ToArray(), vectors);
    }

    /// <summary>The eigenvalues and the first component of each eigenvector of the symmetric tridiagonal matrix with
    /// diagonal <paramref name="alpha"/> and off-diagonal <paramref name="beta"/> (Lanczos' T), ascending.</summary>
    public static (double[] Values, double[] FirstComponents, double[] LastComponents) Tridiagonal(ReadOnlySpan<double> alpha, ReadOnlySpan<double> beta)
    {
        int m = alpha.Length;
        var t = Matrix<double>.Build.Dense(m, m);
        for (int i = 0; i < m; i++)
        {
            t[i, i] = alpha[i];
            if (i + 1 < m) t[i, i + 1] = t[i + 1, i] = beta[i];
        }
        var (values, vectors) = Decompose(t);
        var first = new double[m];
        var last = new double[m];
        for (int j = 0; j < m; j++)
        {
            first[j] = vectors[0, j];
            last[j] = vectors[m - 1, j];
        }
        return (values, first, last);
    }
}
