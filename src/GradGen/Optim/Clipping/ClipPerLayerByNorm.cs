using System.Numerics;
using GradGen.Monitoring;

namespace GradGen.Optim;

/// <summary>Clips each layer's gradients by that layer's own L2 norm: for every layer, as
/// <c>clip_grad_norm_(module.parameters(recurse=False), max_norm)</c> would for that module alone.</summary>
/// <remarks>
/// <para>
/// <b>A layer</b> is a PyTorch module that owns parameters directly: the parameters whose names are equal up to the last
/// dot. "2.weight" and "2.bias" form layer "2"; "block0.fc1.weight" and "block0.fc1.bias" form layer "block0.fc1"; a
/// LayerNorm's "norm.weight" and "norm.bias" form layer "norm". A name without a dot is a layer of its own.
/// </para>
/// <para>
/// For each layer ℓ with gradients g_p (p in ℓ): <c>n_ℓ = sqrt(Σ_p ‖g_p‖²)</c>, and every g_p of ℓ is multiplied by
/// <c>min(max_norm / (n_ℓ + 1e-6), 1)</c>, PyTorch's coefficient. A layer's norm does not depend on any other layer's.
/// </para>
/// <para>
/// The grouping is computed on the first call with a parameter table (one allocation) and reused while the same table
/// is passed; <see cref="Clip"/> then allocates nothing.
/// </para>
/// </remarks>
public sealed class ClipPerLayerByNorm<T> : IGradientClipper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private IReadOnlyList<ParameterInfo>? _table;
    private string[] _layers = [];
    private int[] _layerStart = [0];   // layer k's parameters are _members[_layerStart[k] .. _layerStart[k + 1])
    private int[] _members = [];       // parameter indices, grouped by layer
    private double[] _norms = [];

    /// <summary>Clips every layer to <paramref name="maxNorm"/>; with <paramref name="errorIfNonfinite"/>, a NaN or
    /// infinite layer norm throws before any gradient changes.</summary>
    public ClipPerLayerByNorm(double maxNorm, bool errorIfNonfinite = false)
    {
        GradientClipping.RequireFiniteNonNegative(maxNorm, nameof(maxNorm));
        MaxNorm = maxNorm;
        ErrorIfNonfinite = errorIfNonfinite;
    }

    /// <summary>The largest L2 norm each layer keeps.</summary>
    public double MaxNorm { get; }

    /// <summary>Whether a NaN or infinite layer norm throws (and leaves the gradients unchanged).</summary>
    public bool ErrorIfNonfinite { get; }

    /// <summary>The layers found in the last table, in order of their first parameter.</summary>
    public IReadOnlyList<string> Layers => _layers;

    /// <summary>Each layer's L2 gradient norm before the last <see cref="Clip"/>, in <see cref="Layers"/> order.</summary>
    public ReadOnlySpan<double> LayerNorms => _norms;

    /// <summary>The layer a parameter belongs to: its name without the last ".weight", ".bias" or other ".part".</summary>
    public static string LayerOf(string parameterName)
    {
        ArgumentNullException.ThrowIfNull(parameterName);
        int dot = parameterName.LastIndexOf('.');
        return dot < 0 ? parameterName : parameterName[..dot];
    }

    /// <inheritdoc />
    /// <returns>The global L2 norm of all gradients before clipping, sqrt(Σ_ℓ n_ℓ²).</returns>
    public double Clip(Span<T> gradients, IReadOnlyList<ParameterInfo> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!ReferenceEquals(parameters, _table)) Group(parameters);
        double total = 0;
        for (int k = 0; k < _layers.Length; k++)
        {
            double sumOfSquares = 0;
            for (int m = _layerStart[k]; m < _layerStart[k + 1]; m++)
                sumOfSquares += StatisticsKernels.SumOfSquares<T>(Slice(gradients, parameters[_members[m]]));
            _norms[k] = Math.Sqrt(sumOfSquares);
            total += sumOfSquares;
        }
        if (ErrorIfNonfinite && !double.IsFinite(total))
            GradientClipping.ThrowNonFiniteNorm<T>(gradients, parameters, Math.Sqrt(total), normType: 2);
        for (int k = 0; k < _layers.Length; k++)
        {
            for (int m = _layerStart[k]; m < _layerStart[k + 1]; m++)
                GradientClipping.ScaleToNorm(Slice(gradients, parameters[_members[m]]), MaxNorm, _norms[k]);
        }
        return Math.Sqrt(total);
    }

    private static Span<T> Slice(Span<T> gradients, ParameterInfo p)
    {
        if ((long)p.Offset + p.Length > gradients.Length)
            throw new ArgumentException($"parameter {p.Name} ends at {p.Offset + p.Length}, past the {gradients.Length} gradients", nameof(gradients));
        return gradients.Slice(p.Offset, p.Length);
    }

    /// <summary>Groups the parameters by <see cref="LayerOf"/>, layers in order of their first parameter.</summary>
    private void Group(IReadOnlyList<ParameterInfo> parameters)
    {
        var layers = new List<string>();
        var members = new List<List<int>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int p = 0; p < parameters.Count; p++)
        {
            string layer = LayerOf(parameters[p].Name);
            if (!index.TryGetValue(layer, out int k))
            {
                index[layer] = k = layers.Count;
                layers.Add(layer);
                members.Add([]);
            }
            members[k].Add(p);
        }
        _layers = [.. layers];
        _members = [.. members.SelectMany(m => m)];
        _layerStart = new int[layers.Count + 1];
        for (int k = 0; k < layers.Count; k++) _layerStart[k + 1] = _layerStart[k] + members[k].Count;
        _norms = new double[layers.Count];
        _table = parameters;
    }
}
