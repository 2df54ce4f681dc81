using System.Numerics;

namespace GradGen;

/// <summary>
/// Weight and bias initialisers, as <c>torch.nn.init</c> defines them. Values are drawn in double from a
/// <see cref="Rng"/> (so the same seed gives the same tensor on every platform) and then converted to
/// the tensor's element type. They follow PyTorch's distributions, not PyTorch's random stream.
/// </summary>
public static class Initializers
{
    /// <summary>Initialises every tensor of a network's parameter table in the table's order (PyTorch's), each with
    /// its <see cref="ParameterInfo.Initializer"/>, all from one <see cref="Rng"/> seeded with <paramref name="seed"/>.</summary>
    public static void Fill<T>(Span<T> parameters, ReadOnlySpan<ParameterInfo> table, ulong seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        foreach (var p in table)
        {
            var init = p.Initializer;
            Fill(parameters.Slice(p.Offset, p.Length), init.Kind, init.A, init.B, init.FanIn, init.FanOut, ref rng);
        }
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> according to <paramref name="kind"/>. A Dense weight is [fanOut, fanIn]
    /// (PyTorch's layout); its bias has length fanOut and is initialised with the layer's fanIn and fanOut.
    /// </summary>
    /// <remarks>
    /// What <paramref name="a"/> and <paramref name="b"/> mean for each kind (unused ones are ignored):
    /// <list type="table">
    /// <item><term><see cref="Init.Default"/></term><description>U(±1/√fanIn): <c>nn.Linear</c>'s default, for its
    /// weight (<c>kaiming_uniform_(a=√5)</c>) and for its bias (which also uses the layer's fan_in).</description></item>
    /// <item><term><see cref="Init.Normal"/></term><description>N(mean a, std b), b ≥ 0.</description></item>
    /// <item><term><see cref="Init.Uniform"/></term><description>U[low a, high b), a ≤ b.</description></item>
    /// <item><term><see cref="Init.Constant"/></term><description>every element a.</description></item>
    /// <item><term><see cref="Init.Zeros"/></term><description>every element 0.</description></item>
    /// <item><term><see cref="Init.XavierUniform"/></term><description>gain a: U(±√3·std), std = a·√(2/(fanIn+fanOut)).</description></item>
    /// <item><term><see cref="Init.XavierNormal"/></term><description>gain a: N(0, std), std = a·√(2/(fanIn+fanOut)).</description></item>
    /// <item><term><see cref="Init.KaimingUniform"/></term><description>gain a, fan_in mode: U(±√3·std), std = a/√fanIn.</description></item>
    /// <item><term><see cref="Init.KaimingNormal"/></term><description>gain a, fan_in mode: N(0, std), std = a/√fanIn.</description></item>
    /// <item><term><see cref="Init.Orthogonal"/></term><description>gain a: the tensor, viewed as a [fanOut, fanIn]
    /// matrix W, becomes a·Q with Q (semi-)orthogonal, W·Wᵀ = a²·I if fanOut ≤ fanIn and Wᵀ·W = a²·I otherwise,
    /// as <c>nn.init.orthogonal_</c>: see <see cref="FillOrthogonal{T}"/>.</description></item>
    /// </list>
    /// For a gain, pass 1 or <see cref="Gain"/> of the activation that follows the layer.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">A fan that the kind uses is ≤ 0, or a/b are out of range.</exception>
    /// <exception cref="ArgumentException">For <see cref="Init.Orthogonal"/>, the length is not fanOut·fanIn.</exception>
    public static void Fill<T>(Span<T> tensor, Init kind, double a, double b, int fanIn, int fanOut, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case Init.Default:
            {
                RequirePositive(fanIn, nameof(fanIn));
                double bound = 1 / Math.Sqrt(fanIn);
                FillUniform(tensor, -bound, bound, ref rng);
                break;
            }
            case Init.Normal:
                RequireFinite(a, nameof(a));
                if (!double.IsFinite(b) || b < 0)
                    throw new ArgumentOutOfRangeException(nameof(b), b, "The standard deviation b must be finite and ≥ 0.");
                FillNormal(tensor, a, b, ref rng);
                break;
            case Init.Uniform:
                RequireFinite(a, nameof(a));
                RequireFinite(b, nameof(b));
                if (a > b)
                    throw new ArgumentOutOfRangeException(nameof(b), b, $"The upper bound b must be ≥ the lower bound a = {a}.");
                FillUniform(tensor, a, b, ref rng);
                break;
            case Init.Constant:
                RequireFinite(a, nameof(a));
                tensor.Fill(T.CreateChecked(a));
                break;
            case Init.Zeros:
                tensor.Clear();
                break;
            case Init.XavierUniform:
            case Init.XavierNormal:
            {
                RequireFinite(a, nameof(a));
                RequirePositive(fanIn, nameof(fanIn));
                RequirePositive(fanOut, nameof(fanOut));
                double std = a * Math.Sqrt(2.0 / (fanIn + (double)fanOut));
                if (kind == Init.XavierNormal) FillNormal(tensor, 0, std, ref rng);
                else FillUniform(tensor, -Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std, ref rng);
                break;
            }
            case Init.KaimingUniform:
            case Init.KaimingNormal:
            {
                RequireFinite(a, nameof(a));
                RequirePositive(fanIn, nameof(fanIn));
                double std = a / Math.Sqrt(fanIn);
                if (kind == Init.KaimingNormal) FillNormal(tensor, 0, std, ref rng);
                else FillUniform(tensor, -Math.Sqrt(3.0) * std, Math.Sqrt(3.0) * std, ref rng);
                break;
            }
            case Init.Orthogonal:
                RequireFinite(a, nameof(a));
                FillOrthogonal(tensor, rows: fanOut, columns: fanIn, gain: a, ref rng);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown initialiser.");
        }
    }

    /// <summary>
    /// PyTorch's <c>nn.init.calculate_gain</c>: the factor that keeps activations' variance stable through the
    /// nonlinearity. Identity 1, Sigmoid 1, Tanh 5/3, ReLU √2, LeakyReLU √(2/(1 + slope²)).
    /// </summary>
    /// <remarks>
    /// PyTorch has no gain for GELU, GELUTanh, SiLU, Softplus or ELU (<c>calculate_gain</c> raises
    /// <c>ValueError</c> for them); we return 1 for them instead, the gain of the identity, so that a
    /// declaration does not fail for lack of one. Pass an explicit gain if a different one is wanted.
    /// </remarks>
    /// <param name="activation">The nonlinearity that follows the layer.</param>
    /// <param name="slope">The negative slope of LeakyReLU (PyTorch's default 0.01); ignored otherwise.</param>
    public static double Gain(Activation activation, double slope = 0.01) => activation switch
    {
        Activation.Identity => 1,
        Activation.Sigmoid => 1,
        Activation.Tanh => 5.0 / 3,
        Activation.ReLU => Math.Sqrt(2.0),
        Activation.LeakyReLU => Math.Sqrt(2.0 / (1 + slope * slope)),
        Activation.GELU or Activation.GELUTanh or Activation.SiLU or Activation.Softplus or Activation.ELU => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
    };

    /// <summary>Each element uniform in [low, high).</summary>
    private static void FillUniform<T>(Span<T> tensor, double low, double high, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < tensor.Length; i++)
            tensor[i] = T.CreateChecked(rng.NextUniform(low, high));
    }

    /// <summary>Each element normal with the given mean and standard deviation.</summary>
    private static void FillNormal<T>(Span<T> tensor, double mean, double std, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < tensor.Length; i++)
            tensor[i] = T.CreateChecked(mean + std * rng.NextNormal());
    }

    /// <summary>
    /// <c>nn.init.orthogonal_</c> on a row-major [rows, columns] matrix: draw G with standard normal entries (row by
    /// row); if rows &lt; columns, transpose it; take its thin QR decomposition A = Q·R (A is m×n with m ≥ n);
    /// multiply each column of Q by the sign of R's diagonal element, which makes the result the unique QR with a
    /// positive diagonal and so Haar-distributed; transpose back if needed; scale by <paramref name="gain"/>.
    /// </summary>
    /// <remarks>The decomposition is Householder's, in double. A zero diagonal element of R (probability 0) is
    /// given sign +1 rather than PyTorch's 0, so that the result stays orthogonal.</remarks>
    internal static void FillOrthogonal<T>(Span<T> tensor, int rows, int columns, double gain, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        RequirePositive(rows, "fanOut");
        RequirePositive(columns, "fanIn");
        if ((long)rows * columns != tensor.Length)
            throw new ArgumentException(
                $"An orthogonal initialiser views the tensor as [fanOut = {rows}, fanIn = {columns}], " +
                $"but its length is {tensor.Length}.", nameof(tensor));

        var normal = new double[rows * columns];              // G, row-major [rows, columns]
        for (int i = 0; i < normal.Length; i++) normal[i] = rng.NextNormal();

        // A is m×n, m ≥ n, stored column-major: column j is a[j*m .. j*m + m). For rows ≥ columns, A = G;
        // otherwise A = Gᵀ. Either way A[i, j] = G[i, j] or G[j, i], read below.
        bool transposed = rows < columns;
        int m = transposed ? columns : rows, n = transposed ? rows : columns;
        var matrix = new double[m * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
                matrix[j * m + i] = transposed ? normal[j * columns + i] : normal[i * columns + j];

        var q = new double[m * n];
        Householder.ThinQ(matrix, m, n, q);

        // W = gain·Q (rows ≥ columns) or gain·Qᵀ (rows < columns); W row-major [rows, columns].
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                double value = transposed ? q[r * m + c] : q[c * m + r];
                tensor[r * columns + c] = T.CreateChecked(gain * value);
            }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{name} must be > 0 for this initialiser.");
    }

    private static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite.");
    }
}
