using System.Numerics;

namespace GradGen.Curvature;

/// <summary>The Hessian H = ∇²L of a network's mean loss on one batch, at the parameters the network had when the
/// operator was made, as a linear operator: <see cref="Multiply"/> computes H·v exactly (to rounding, not by
/// finite differences) with one forward, loss and backward pass of the network's generated code over dual numbers.
/// Parameters are ordered as <see cref="Network{T}.Parameters"/> (PyTorch's <c>parameters()</c> order, each row-major).
/// It holds its own arena (twice a Float64 network's), so it may be kept and applied many times: Lanczos, the full
/// Hessian and the spectral density (GradGen.Curvature in src/GradGen.Curvature) are built on it.</summary>
/// <remarks>Precision follows the network. A Float64 network's products are exact to float64 rounding. A float network's
/// Dense layers multiply in float32, as its training step does (on the same kernels), and everything else runs in float64:
/// its H·v agrees with the Float64 twin's to within 1e-5 of its largest entry (7e-7 at worst in the tests) (docs/hessian.md, "Precision"). For float64
/// products of a float network, copy its parameters into its Float64 twin and make the operator from that.
/// Instrumentation is not run in these passes.</remarks>
public sealed class HessianOperator
{
    private readonly DualNetwork _dual;
    private readonly double[] _gradient;

    private HessianOperator(DualNetwork dual)
    {
        _dual = dual;
        _gradient = new double[dual.ParameterCount];
    }

    /// <summary>The Hessian of <paramref name="network"/>'s mean loss on this batch, at its current parameters. The batch,
    /// targets and parameters are copied: later training does not change the operator.</summary>
    /// <param name="input">(batch, InputSize) row-major; the batch may be larger than the network's MaxBatch.</param>
    /// <param name="targets">batch class indices, or (batch, OutputSize) targets, as the network's loss takes them.</param>
    public static HessianOperator Create<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        if (input.Length == 0 || input.Length % network.InputSize != 0)
            throw new ArgumentException($"The input has {input.Length} values, which is not a whole number (at least 1) of samples of {network.InputSize} features", nameof(input));
        var dual = network.NewDualNetwork(input.Length / network.InputSize);
        dual.Load<T, TTarget>(network.Parameters, input, targets);
        return new HessianOperator(dual);
    }

    /// <summary>The number of parameters n; H is n × n.</summary>
    public int Dimension => _dual.ParameterCount;

    /// <summary>Whether the matrix products run in float32 (a float network) rather than float64 (a Float64 network).</summary>
    public bool SinglePrecisionProducts => _dual.ProductsInSingle;

    /// <summary>Samples in the batch.</summary>
    public int BatchSize => _dual.BatchSize;

    /// <summary>Hessian-vector products computed so far (each costs one dual forward and backward pass).</summary>
    public long Products { get; private set; }

    /// <summary>∇L on the batch, as computed alongside the last product (zero before the first), widened to float64.</summary>
    public ReadOnlySpan<double> Gradient
    {
        get
        {
            _dual.ReadGradient(_gradient);
            return _gradient;
        }
    }

    /// <summary>hv = H·v. Allocates nothing.</summary>
    public void Multiply(ReadOnlySpan<double> v, Span<double> hv)
    {
        if (v.Length != Dimension) throw new ArgumentException($"v has {v.Length} entries, the Hessian is {Dimension} × {Dimension}", nameof(v));
        if (hv.Length != Dimension) throw new ArgumentException($"hv has {hv.Length} entries, the Hessian is {Dimension} × {Dimension}", nameof(hv));
        _dual.Multiply(v, hv);
        Products++;
    }
}
