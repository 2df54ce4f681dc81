using System.Numerics;

namespace GradGen.Optim;

/// <summary>Adaptive clipping by a percentile of the gradient norms seen so far: AutoClip (Seetharaman, Wichern, Pardo
/// and Le Roux, "AutoClip: Adaptive Gradient Clipping for Source Separation Networks", MLSP 2020).</summary>
/// <remarks>
/// <para>
/// Each <see cref="Clip"/>, as the paper's reference code does:
/// <list type="number">
/// <item>n = the global L2 norm of all gradients (the norm <see cref="ClipByNorm{T}"/> measures);</item>
/// <item>n is added to the history (if finite);</item>
/// <item>the threshold η = the <see cref="Percentile"/>-th percentile of the history, the current n included;</item>
/// <item>the gradients are clipped as <c>clip_grad_norm_(parameters, max_norm=η)</c>: multiplied by
/// <c>min(η / (n + 1e-6), 1)</c>.</item>
/// </list>
/// </para>
/// <para>
/// <b>Percentile</b>: NumPy's default (<c>np.percentile(..., method="linear")</c>, Hyndman and Fan's type 7). With the
/// m norms of the history sorted, s₀ ≤ … ≤ s_{m−1}, and h = (m − 1)·p / 100, the percentile is
/// s_⌊h⌋ + (h − ⌊h⌋)·(s_{⌊h⌋+1} − s_⌊h⌋). p = 100 is the largest norm, p = 0 the smallest, p = 50 the median.
/// </para>
/// <para>
/// <b>History</b>: the paper keeps every norm of the run. Here the history holds the last <see cref="Capacity"/> norms
/// (a sliding window, 10,000 by default), allocated once; a sorted copy is kept up to date by one binary search and one
/// shift per step, so a step costs O(capacity) moves and allocates nothing. Before the window fills, the percentile is
/// over every norm so far, as in the paper: at the first step the threshold is that step's own norm, so the
/// gradients are multiplied by n / (n + 1e-6), which is what the reference code does too.
/// </para>
/// <para>
/// <b>Non-finite norms</b> are never added to the history, so one bad step cannot poison the threshold. With
/// <see cref="ErrorIfNonfinite"/> such a step throws, gradients unchanged; without it the gradients are scaled as
/// <c>clip_grad_norm_</c> scales them by a non-finite norm (by NaN, or by 0 for +∞), and
/// <see cref="Network{T, TTarget}.ApplyUpdate"/> then refuses the NaN gradients.
/// </para>
/// </remarks>
public sealed class AutoClip<T> : IGradientClipper<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _window;  // the last Capacity norms, in arrival order, as a ring
    private readonly double[] _sorted;  // the same norms in ascending order, first Count entries
    private int _next;                  // where the next norm goes in the ring

    /// <summary>Clips at the <paramref name="percentile"/>-th percentile (0 to 100; the paper recommends 10) of the
    /// last <paramref name="historyCapacity"/> gradient norms.</summary>
    public AutoClip(double percentile, int historyCapacity = 10_000, bool errorIfNonfinite = false)
    {
        if (!(percentile >= 0 && percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "the percentile must be between 0 and 100");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(historyCapacity);
        Percentile = percentile;
        ErrorIfNonfinite = errorIfNonfinite;
        _window = new double[historyCapacity];
        _sorted = new double[historyCapacity];
    }

    /// <summary>The percentile of the history used as the threshold, 0 to 100.</summary>
    public double Percentile { get; }

    /// <summary>How many of the latest norms the history keeps.</summary>
    public int Capacity => _window.Length;

    /// <summary>Norms in the history now (at most <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Whether a NaN or infinite norm throws (and leaves the gradients unchanged).</summary>
    public bool ErrorIfNonfinite { get; }

    /// <summary>The threshold η used by the last <see cref="Clip"/> (NaN before the first).</summary>
    public double Threshold { get; private set; } = double.NaN;

    /// <summary>The history's norms in ascending order.</summary>
    public ReadOnlySpan<double> SortedHistory => _sorted.AsSpan(0, Count);

    /// <inheritdoc />
    /// <returns>The global L2 norm before clipping.</returns>
    public double Clip(Span<T> gradients, IReadOnlyList<ParameterInfo> parameters)
    {
        double norm = GradientClipping.TotalNorm<T>(gradients);
        if (!double.IsFinite(norm))
        {
            if (ErrorIfNonfinite) GradientClipping.ThrowNonFiniteNorm<T>(gradients, parameters, norm, normType: 2);
            GradientClipping.ScaleToNorm(gradients, Count > 0 ? Threshold : 0, norm);
            return norm;
        }
        Add(norm);
        Threshold = PercentileOfSorted(SortedHistory, Percentile);
        GradientClipping.ScaleToNorm(gradients, Threshold, norm);
        return norm;
    }

    /// <summary>Forgets the history.</summary>
    public void Reset()
    {
        Count = 0;
        _next = 0;
        Threshold = double.NaN;
    }

    /// <summary>The p-th percentile of <paramref name="sorted"/> (ascending, not empty) by linear interpolation between
    /// closest ranks: NumPy's default method.</summary>
    public static double PercentileOfSorted(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) throw new ArgumentException("the percentile of no values is undefined", nameof(sorted));
        double h = (sorted.Length - 1) * (p / 100);
        int below = (int)Math.Floor(h);
        if (below >= sorted.Length - 1) return sorted[^1];
        return sorted[below] + (h - below) * (sorted[below + 1] - sorted[below]);
    }

    /// <summary>Puts <paramref name="norm"/> into the ring and the sorted copy, dropping the oldest norm when full.</summary>
    private void Add(double norm)
    {
        if (Count == Capacity)
        {
            // Remove the oldest norm from the sorted copy: any entry equal to it will do.
            int old = Array.BinarySearch(_sorted, 0, Count, _window[_next]);
            Array.Copy(_sorted, old + 1, _sorted, old, Count - old - 1);
            Count--;
        }
        _window[_next] = norm;
        _next = (_next + 1) % Capacity;
        int at = Array.BinarySearch(_sorted, 0, Count, norm);
        if (at < 0) at = ~at;
        Array.Copy(_sorted, at, _sorted, at + 1, Count - at);
        _sorted[at] = norm;
        Count++;
    }
}
