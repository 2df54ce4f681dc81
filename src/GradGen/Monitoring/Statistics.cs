using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GradGen.Monitoring;

/// <summary>A layer's output on one sampled step, over every sample and feature of the batch.</summary>
/// <param name="ZeroFraction">Share of outputs exactly 0: dead units, for ReLU.</param>
/// <param name="SaturatedFraction">Share of outputs where the layer's sigmoid or tanh saturates (see <see cref="Saturation"/>); 0 for other activations.</param>
public readonly record struct ActivationStatistics(double Mean, double Std, double Min, double Max, double ZeroFraction, double SaturatedFraction);

/// <summary>The gradient of the loss with respect to a layer's output, on one sampled step.</summary>
public readonly record struct GradientStatistics(double Mean, double Std, double L2Norm, double MaxAbs);

/// <summary>One parameter tensor on one sampled step: its gradient's and its own L2 norm, and ‖Δw‖ / ‖w‖ of the
/// optimizer's update (NaN until an update has been applied on a sampled step).</summary>
public readonly record struct ParameterStatistics(double GradientNorm, double WeightNorm, double UpdateRatio);

/// <summary>The statistics of a (rows, cols) matrix with row stride ld, in one pass per row. Sums run in vectors of T
/// within a row and in double across rows, so that float rounding cannot build up over a large batch. The plain loops
/// in <see cref="StatisticsReference"/> compute the same numbers; the tests compare the two. The kernels that a sampled
/// step runs are compiled fully optimised at their first call (AggressiveOptimization): they run once in SampleEvery
/// steps, too rarely for tiered compilation to promote them before a run is over.</summary>
public static class StatisticsKernels
{
    /// <summary>Mean, population std, min, max, zero and saturated fractions of the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ActivationStatistics Activations<T>(ReadOnlySpan<T> values, int rows, int cols, int ld, Saturation saturation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(values.Length, rows, cols, ld);
        double sum = 0, sumSq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        long zeros = 0, saturated = 0;
        (T low, T high) = SaturationBounds<T>(saturation);
        var lowV = new Vector<T>(low); var highV = new Vector<T>(high);
        // Min and max are exact in any order, so their lanes carry over all rows and are reduced once at the end.
        var vmin = new Vector<T>(T.PositiveInfinity); var vmax = new Vector<T>(T.NegativeInfinity);
        for (int i = 0; i < rows; i++)
        {
            var row = values.Slice(i * ld, cols);
            var v = MemoryMarshal.Cast<T, Vector<T>>(row);
            var vs = Vector<T>.Zero; var vq = Vector<T>.Zero;
            var vzero = Vector<T>.Zero; var vsat = Vector<T>.Zero;
            foreach (var x in v)
            {
                vs += x; vq += x * x;
                vmin = Vector.Min(vmin, x); vmax = Vector.Max(vmax, x);
                vzero += Vector.ConditionalSelect(Vector.Equals(x, Vector<T>.Zero), Vector<T>.One, Vector<T>.Zero);
                if (saturation != Saturation.None)
                    vsat += Vector.ConditionalSelect(Vector.LessThan(x, lowV) | Vector.GreaterThan(x, highV), Vector<T>.One, Vector<T>.Zero);
            }
            sum += double.CreateTruncating(Vector.Sum(vs));
            sumSq += double.CreateTruncating(Vector.Sum(vq));
            zeros += LaneCount(vzero);
            saturated += LaneCount(vsat);
            for (int j = v.Length * Vector<T>.Count; j < cols; j++)
            {
                double x = double.CreateTruncating(row[j]);
                sum += x; sumSq += x * x;
                min = Math.Min(min, x); max = Math.Max(max, x);
                if (x == 0) zeros++;
                if (saturation != Saturation.None && (row[j] < low || row[j] > high)) saturated++;
            }
        }
        for (int k = 0; k < Vector<T>.Count; k++)
        {
            min = Math.Min(min, double.CreateTruncating(vmin[k]));
            max = Math.Max(max, double.CreateTruncating(vmax[k]));
        }
        double n = (double)rows * cols;
        double mean = sum / n;
        return new ActivationStatistics(mean, Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)), min, max, zeros / n,
            saturation == Saturation.None ? 0 : saturated / n);
    }

    /// <summary>Mean, population std, L2 norm and max |g| of the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GradientStatistics Gradients<T>(ReadOnlySpan<T> values, int rows, int cols, int ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(values.Length, rows, cols, ld);
        double sum = 0, sumSq = 0, maxAbs = 0;
        var vmax = Vector<T>.Zero; // exact in any order: reduced once at the end
        for (int i = 0; i < rows; i++)
        {
            var row = values.Slice(i * ld, cols);
            var v = MemoryMarshal.Cast<T, Vector<T>>(row);
            var vs = Vector<T>.Zero; var vq = Vector<T>.Zero;
            foreach (var x in v)
            {
                vs += x; vq += x * x;
                vmax = Vector.Max(vmax, Vector.Abs(x));
            }
            sum += double.CreateTruncating(Vector.Sum(vs));
            sumSq += double.CreateTruncating(Vector.Sum(vq));
            for (int j = v.Length * Vector<T>.Count; j < cols; j++)
            {
                double x = double.CreateTruncating(row[j]);
                sum += x; sumSq += x * x;
                maxAbs = Math.Max(maxAbs, Math.Abs(x));
            }
        }
        for (int k = 0; k < Vector<T>.Count; k++) maxAbs = Math.Max(maxAbs, double.CreateTruncating(vmax[k]));
        double n = (double)rows * cols;
        double mean = sum / n;
        return new GradientStatistics(mean, Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)), Math.Sqrt(sumSq), maxAbs);
    }

    /// <summary>‖x‖₂, accumulated in double.</summary>
    public static double L2Norm<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
        => Math.Sqrt(SumOfSquares(values));

    /// <summary>Σ x², in vectors of T over blocks of 4096 and in double across blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += 4096)
        {
            var block = values.Slice(start, Math.Min(4096, values.Length - start));
            var v = MemoryMarshal.Cast<T, Vector<T>>(block);
            // Two independent accumulators: one chain would wait out the add latency on every vector.
            var acc0 = Vector<T>.Zero; var acc1 = Vector<T>.Zero;
            int k = 0;
            for (; k + 1 < v.Length; k += 2)
            {
                acc0 += v[k] * v[k];
                acc1 += v[k + 1] * v[k + 1];
            }
            if (k < v.Length) acc0 += v[k] * v[k];
            total += double.CreateTruncating(Vector.Sum(acc0 + acc1));
            for (int j = v.Length * Vector<T>.Count; j < block.Length; j++)
            {
                double x = double.CreateTruncating(block[j]);
                total += x * x;
            }
        }
        return total;
    }

    /// <summary>Σ w², Σ (w′ − w)² and Σ g² of one parameter tensor in one pass: its values <paramref name="before"/>
    /// (w) and <paramref name="after"/> (w′) an update, and its <paramref name="gradients"/> (g). Accumulated as
    /// <see cref="SumOfSquares{T}"/>. GradGen's optimizers add these up inside their update pass; this is the sampled
    /// step's fallback for an optimizer written outside GradGen, which it cannot look into.</summary>
    public static (double Weights, double Update, double Gradients) ParameterSumsOfSquares<T>(ReadOnlySpan<T> before, ReadOnlySpan<T> after,
        ReadOnlySpan<T> gradients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (after.Length != before.Length || gradients.Length != before.Length)
            throw new ArgumentException($"before has {before.Length} values, after {after.Length} and gradients {gradients.Length}");
        double weights = 0, update = 0, grads = 0;
        for (int start = 0; start < before.Length; start += 4096)
        {
            int length = Math.Min(4096, before.Length - start);
            var w = MemoryMarshal.Cast<T, Vector<T>>(before.Slice(start, length));
            var w1 = MemoryMarshal.Cast<T, Vector<T>>(after.Slice(start, length));
            var g = MemoryMarshal.Cast<T, Vector<T>>(gradients.Slice(start, length));
            var sw = Vector<T>.Zero; var sd = Vector<T>.Zero; var sg = Vector<T>.Zero;
            for (int k = 0; k < w.Length; k++)
            {
                var d = w1[k] - w[k];
                sw += w[k] * w[k];
                sd += d * d;
                sg += g[k] * g[k];
            }
            weights += double.CreateTruncating(Vector.Sum(sw));
            update += double.CreateTruncating(Vector.Sum(sd));
            grads += double.CreateTruncating(Vector.Sum(sg));
            for (int j = start + w.Length * Vector<T>.Count; j < start + length; j++)
            {
                double x = double.CreateTruncating(before[j]), d = double.CreateTruncating(after[j] - before[j]), y = double.CreateTruncating(gradients[j]);
                weights += x * x;
                update += d * d;
                grads += y * y;
            }
        }
        return (weights, update, grads);
    }

    /// <summary>‖a − b‖₂, accumulated in double.</summary>
    public static double DistanceL2<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length != b.Length) throw new ArgumentException($"a has {a.Length} values and b {b.Length}", nameof(b));
        double total = 0;
        for (int start = 0; start < a.Length; start += 4096)
        {
            int length = Math.Min(4096, a.Length - start);
            var va = MemoryMarshal.Cast<T, Vector<T>>(a.Slice(start, length));
            var vb = MemoryMarshal.Cast<T, Vector<T>>(b.Slice(start, length));
            var acc = Vector<T>.Zero;
            for (int k = 0; k < va.Length; k++)
            {
                var d = va[k] - vb[k];
                acc += d * d;
            }
            total += double.CreateTruncating(Vector.Sum(acc));
            for (int j = start + va.Length * Vector<T>.Count; j < start + length; j++)
            {
                double d = double.CreateTruncating(a[j] - b[j]);
                total += d * d;
            }
        }
        return Math.Sqrt(total);
    }

    /// <summary>Outputs below low or above high are saturated.</summary>
    internal static (T Low, T High) SaturationBounds<T>(Saturation saturation) where T : IFloatingPointIeee754<T> => saturation switch
    {
        Saturation.Sigmoid => (T.CreateTruncating(0.01), T.CreateTruncating(0.99)),
        Saturation.Tanh => (T.CreateTruncating(-0.99), T.CreateTruncating(0.99)),
        _ => (T.NegativeInfinity, T.PositiveInfinity),
    };

    // Counters hold one count per lane, as T: exact in float up to 2^24 per lane per row, far more than a row holds.
    private static long LaneCount<T>(Vector<T> counts) where T : unmanaged, IFloatingPointIeee754<T>
        => (long)double.CreateTruncating(Vector.Sum(counts));

    internal static void Check(int length, int rows, int cols, int ld)
    {
        if (rows <= 0 || cols <= 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a ({rows}, {cols}) matrix has no values");
        if (ld < cols) throw new ArgumentOutOfRangeException(nameof(ld), $"row stride {ld} is smaller than the width {cols}");
        if (length < (long)(rows - 1) * ld + cols) throw new ArgumentException($"{length} values cannot hold ({rows}, {cols}) with row stride {ld}");
    }
}

/// <summary>A histogram of |g| by powers of two, for a gradient whose values span decades: bin k counts the values with
/// 2^(MinExponent + k) ≤ |g| &lt; 2^(MinExponent + k + 1). The first bin also holds the non-zero values below its range
/// and the last every value above it, infinities and NaN included; exact zeros have a count of their own. The bin of a
/// value is its binary exponent, read from its bits: no logarithm per value.</summary>
public static class GradientHistogram
{
    /// <summary>The exponent of the first bin's lower edge: 2^-64 ≈ 5.4e-20.</summary>
    public const int MinExponent = -64;

    /// <summary>The exponent of the last bin's upper edge: 2^16 = 65,536.</summary>
    public const int MaxExponent = 16;

    /// <summary>Bins of non-zero values.</summary>
    public const int Bins = MaxExponent - MinExponent;

    /// <summary>Counts per histogram: [0] the exact zeros, then <see cref="Bins"/> bins from the smallest magnitudes up.</summary>
    public const int Length = Bins + 1;

    /// <summary>Clears <paramref name="counts"/> (<see cref="Length"/> values) and counts the (rows, cols) matrix with row
    /// stride ld into it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Count<T>(ReadOnlySpan<T> values, int rows, int cols, int ld, Span<long> counts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        StatisticsKernels.Check(values.Length, rows, cols, ld);
        if (counts.Length != Length) throw new ArgumentException($"a histogram has {Length} counts, not {counts.Length}", nameof(counts));
        // Four interleaved histograms, added at the end: most gradients fall in a few bins, and one histogram would make
        // each increment wait for the previous one to the same count (a store-to-load chain of ~5 cycles per value).
        // int counts cannot overflow: the matrix lies in one span, which holds fewer than 2^31 values.
        Span<int> partial = stackalloc int[4 * Length];
        partial.Clear();
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<T> row = values.Slice(i * ld, cols);
            int j = 0;
            for (; j <= row.Length - 4; j += 4)
            {
                partial[Bin(row[j])]++;
                partial[Length + Bin(row[j + 1])]++;
                partial[2 * Length + Bin(row[j + 2])]++;
                partial[3 * Length + Bin(row[j + 3])]++;
            }
            for (; j < row.Length; j++) partial[Bin(row[j])]++;
        }
        for (int k = 0; k < Length; k++) counts[k] = (long)partial[k] + partial[Length + k] + partial[2 * Length + k] + partial[3 * Length + k];
    }

    /// <summary>The count index of <paramref name="x"/>: 0 for ±0, else 1 + its bin. For float and double without a
    /// branch: the exponent field indexes a table of 1 + its clamped bin, and a mask sends ±0 to 0. Whether a gradient
    /// is zero is the one unpredictable question here (a ReLU layer's inactive units), and a branch on it cost ~3 ns a
    /// value where half of them were zeros (docs/instrumentation-overhead.md).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Bin<T>(T x) where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            uint magnitude = (uint)BitConverter.SingleToInt32Bits((float)(object)x) & 0x7FFF_FFFFu;
            return s_singleBins[(int)(magnitude >> 23)] & NonZeroMask(magnitude);
        }
        if (typeof(T) == typeof(double))
        {
            ulong magnitude = (ulong)BitConverter.DoubleToInt64Bits((double)(object)x) & 0x7FFF_FFFF_FFFF_FFFFul;
            return s_doubleBins[(int)(magnitude >> 52)] & NonZeroMask(magnitude);
        }
        if (x == T.Zero) return 0;
        return BinOfExponent(T.IsFinite(x) ? T.ILogB(x) : int.MaxValue);
    }

    // 1 + the clamped bin of an unbiased exponent: floor(log2 |x|) for normal x; subnormals (whose exponent field reads
    // below MinExponent) go to the first bin, infinities and NaN (above MaxExponent) to the last.
    private static int BinOfExponent(int exponent) => 1 + Math.Clamp(exponent - MinExponent, 0, Bins - 1);

    // BinOfExponent of every exponent field, indexed by the field: 8 bits for float, 11 for double.
    private static readonly byte[] s_singleBins = Enumerable.Range(0, 1 << 8).Select(e => (byte)BinOfExponent(e - 127)).ToArray();
    private static readonly byte[] s_doubleBins = Enumerable.Range(0, 1 << 11).Select(e => (byte)BinOfExponent(e - 1023)).ToArray();

    // -1 (all bits) for a magnitude above 0, 0 for 0: 0 − m has its top bit set exactly when 0 < m < 2^(bits−1).
    private static int NonZeroMask(uint magnitude) => -(int)((0u - magnitude) >> 31);
    private static int NonZeroMask(ulong magnitude) => -(int)((0ul - magnitude) >> 63);

    /// <summary>The lower edge of bin <paramref name="bin"/> (0 ≤ bin &lt; <see cref="Bins"/>).</summary>
    public static double LowerEdge(int bin) => Math.ScaleB(1.0, MinExponent + bin);
}

/// <summary>The same statistics as <see cref="StatisticsKernels"/>, as plain loops in double: the specification.</summary>
internal static class StatisticsReference
{
    public static ActivationStatistics Activations<T>(ReadOnlySpan<T> values, int rows, int cols, int ld, Saturation saturation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (low, high) = StatisticsKernels.SaturationBounds<T>(saturation);
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity, zeros = 0, saturated = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                T t = values[i * ld + j];
                double x = double.CreateTruncating(t);
                sum += x; min = Math.Min(min, x); max = Math.Max(max, x);
                if (x == 0) zeros++;
                if (t < low || t > high) saturated++;
            }
        double n = (double)rows * cols, mean = sum / n, var = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double d = double.CreateTruncating(values[i * ld + j]) - mean;
                var += d * d;
            }
        return new ActivationStatistics(mean, Math.Sqrt(var / n), min, max, zeros / n, saturation == Saturation.None ? 0 : saturated / n);
    }

    public static GradientStatistics Gradients<T>(ReadOnlySpan<T> values, int rows, int cols, int ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0, sumSq = 0, maxAbs = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double x = double.CreateTruncating(values[i * ld + j]);
                sum += x; sumSq += x * x; maxAbs = Math.Max(maxAbs, Math.Abs(x));
            }
        double n = (double)rows * cols, mean = sum / n, var = 0;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double d = double.CreateTruncating(values[i * ld + j]) - mean;
                var += d * d;
            }
        return new GradientStatistics(mean, Math.Sqrt(var / n), Math.Sqrt(sumSq), maxAbs);
    }

    public static long[] GradientHistogram<T>(ReadOnlySpan<T> values, int rows, int cols, int ld) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var counts = new long[Monitoring.GradientHistogram.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double x = Math.Abs(double.CreateTruncating(values[i * ld + j]));
                if (x == 0) { counts[0]++; continue; }
                int bin = double.IsFinite(x) ? Math.ILogB(x) - Monitoring.GradientHistogram.MinExponent : int.MaxValue;
                counts[1 + Math.Clamp(bin, 0, Monitoring.GradientHistogram.Bins - 1)]++;
            }
        return counts;
    }
}
