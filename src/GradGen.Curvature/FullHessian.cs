using MathNet.Numerics.LinearAlgebra;

namespace GradGen.Curvature;

/// <summary>The full Hessian of a small network (up to a few thousand parameters), built column by column from n exact
/// Hessian-vector products with the unit vectors, H·eⱼ = column j, and its symmetric eigendecomposition.</summary>
/// <remarks>Cost: n products and an O(n³) eigendecomposition, with n² doubles of memory (2,000 parameters: 2,000
/// products and 32 MB). Above <see cref="MaxDimension"/> use <see cref="Lanczos"/> and <see cref="SpectralDensity"/>.</remarks>
public sealed class FullHessian
{
    /// <summary>The largest network <see cref="Compute"/> accepts: 8,000 parameters (a 512 MB matrix).</summary>
    public const int MaxDimension = 8000;

    private FullHessian(Matrix<double> matrix, double asymmetry, double[] eigenvalues)
    {
        Matrix = matrix;
        Asymmetry = asymmetry;
        Eigenvalues = eigenvalues;
    }

    /// <summary>The Hessian of <paramref name="hessian"/>'s loss, symmetrised as (H + Hᵀ)/2 (see <see cref="Asymmetry"/>).</summary>
    public static FullHessian Compute(HessianOperator hessian)
    {
        ArgumentNullException.ThrowIfNull(hessian);
        int n = hessian.Dimension;
        if (n > MaxDimension)
            throw new ArgumentException($"The network has {n} parameters; the full Hessian is for at most {MaxDimension}. Use Lanczos.TopEigenvalues or SpectralDensity.Estimate", nameof(hessian));
        var columns = Matrix<double>.Build.Dense(n, n);
        var unit = new double[n];
        var column = new double[n];
        for (int j = 0; j < n; j++)
        {
            unit[j] = 1;
            hessian.Multiply(unit, column);
            unit[j] = 0;
            columns.SetColumn(j, column);
        }
        // Exact products give a symmetric matrix up to rounding: the two triangles come from different passes.
        double asymmetry = 0, largest = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                asymmetry = Math.Max(asymmetry, Math.Abs(columns[i, j] - columns[j, i]));
                largest = Math.Max(largest, Math.Abs(columns[i, j]));
            }
        }
        var symmetric = (columns + columns.Transpose()) * 0.5;
        var (values, _) = SymmetricEigen.Decompose(symmetric);
        return new FullHessian(symmetric, largest == 0 ? 0 : asymmetry / largest, values);
    }

    /// <summary>H, n × n, symmetrised.</summary>
    public Matrix<double> Matrix { get; }

    /// <summary>max |Hᵢⱼ − Hⱼᵢ| / max |Hᵢⱼ| before symmetrising: rounding-sized (≈ 1e-15) when the products are exact.</summary>
    public double Asymmetry { get; }

    /// <summary>All n eigenvalues, ascending.</summary>
    public double[] Eigenvalues { get; }

    /// <summary>The largest eigenvalue: the sharpest curvature.</summary>
    public double Largest => Eigenvalues[^1];

    /// <summary>The smallest (most negative) eigenvalue.</summary>
    public double Smallest => Eigenvalues[0];

    /// <summary>tr H, the sum of the eigenvalues.</summary>
    public double Trace => Eigenvalues.Sum();

    /// <summary>The condition number max|λ| / min|λ|. Infinite when an eigenvalue is exactly 0, and huge when one is 0 up
    /// to rounding (softmax cross-entropy is flat along adding a constant to every logit, so its Hessian is singular).</summary>
    public double ConditionNumber
    {
        get
        {
            double max = Eigenvalues.Max(Math.Abs), min = Eigenvalues.Min(Math.Abs);
            return min == 0 ? double.PositiveInfinity : max / min;
        }
    }

    /// <summary>The eigenvalues below −<paramref name="relativeTolerance"/>·max|λ|: negative curvature, the directions
    /// in which the loss goes down (a saddle point has some). The tolerance keeps rounding-sized values of a singular
    /// Hessian out of the count.</summary>
    public int NegativeCount(double relativeTolerance = 1e-10)
    {
        double threshold = -relativeTolerance * Eigenvalues.Max(Math.Abs);
        return Eigenvalues.Count(l => l < threshold);
    }

    /// <summary><see cref="NegativeCount"/> as a share of all n eigenvalues.</summary>
    public double NegativeShare(double relativeTolerance = 1e-10) => (double)NegativeCount(relativeTolerance) / Eigenvalues.Length;
}
