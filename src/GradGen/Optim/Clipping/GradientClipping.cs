using System.Numerics;
using System.Runtime.InteropServices;
using GradGen.Monitoring;

namespace GradGen.Optim;

/// <summary>PyTorch's two clipping functions on a flat gradient span, and the kernels the clippers share.</summary>
/// <remarks>Norms are accumulated in double (sums of squares in vectors of T over blocks of 4096, in double across
/// blocks: <see cref="StatisticsKernels.SumOfSquares{T}"/>), then the clip coefficient is computed in double and
/// converted to T. In float64 this is PyTorch's arithmetic up to the order of the sum; in float32 PyTorch computes the
/// norm and the coefficient in float32, so the two can differ by a few ulps of float.</remarks>
public static class GradientClipping
{
    /// <summary>PyTorch's guard against dividing by a zero norm: <c>clip_coef = max_norm / (total_norm + 1e-6)</c>.</summary>
    public const double Epsilon = 1e-6;

    /// <summary>The norm of all <paramref name="gradients"/> together: L2 (<paramref name="normType"/> 2) or the largest
    /// |g| (<see cref="double.PositiveInfinity"/>). NaN when any gradient is NaN; +∞ when one is ±∞ (L2 also when the
    /// squares overflow T).</summary>
    public static double TotalNorm<T>(ReadOnlySpan<T> gradients, double normType = 2) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckNormType(normType);
        return double.IsPositiveInfinity(normType) ? MaxAbs(gradients) : Math.Sqrt(StatisticsKernels.SumOfSquares(gradients));
    }

    /// <summary><c>torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)</c> on every
    /// gradient: with <c>total</c> = <see cref="TotalNorm{T}"/>, multiplies every gradient by
    /// <c>min(max_norm / (total + 1e-6), 1)</c> and returns <c>total</c>, the norm before clipping.</summary>
    /// <param name="gradients">The gradients, changed in place.</param>
    /// <param name="maxNorm">The largest norm allowed, finite and ≥ 0.</param>
    /// <param name="normType">2 or <see cref="double.PositiveInfinity"/>.</param>
    /// <param name="errorIfNonfinite">Throw <see cref="NonFiniteGradientException"/> (or <see cref="OverflowException"/>
    /// when every gradient is finite but the sum of squares overflowed) instead of clipping when the total norm is NaN or
    /// ±∞; the gradients are then unchanged. Without it, as in PyTorch, a NaN norm turns every gradient into NaN and an
    /// infinite one every finite gradient into 0.</param>
    /// <param name="parameters">The parameter table, only to name the parameter in the exception.</param>
    public static double ClipGradNorm<T>(Span<T> gradients, double maxNorm, double normType = 2, bool errorIfNonfinite = false,
        IReadOnlyList<ParameterInfo>? parameters = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        RequireFiniteNonNegative(maxNorm, nameof(maxNorm));
        double total = TotalNorm<T>(gradients, normType);
        if (errorIfNonfinite && !double.IsFinite(total)) ThrowNonFiniteNorm<T>(gradients, parameters, total, normType);
        ScaleToNorm(gradients, maxNorm, total);
        return total;
    }

    /// <summary><c>torch.nn.utils.clip_grad_value_(parameters, clip_value)</c>: clamps every gradient into
    /// [−<paramref name="clipValue"/>, <paramref name="clipValue"/>]; NaN stays NaN, as in <c>torch.clamp</c>.
    /// Returns the largest |g| before clamping (the ∞-norm, NaN if any gradient is NaN), which PyTorch does not return;
    /// it comes from the same pass.</summary>
    public static double ClipGradValue<T>(Span<T> gradients, double clipValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        RequireFiniteNonNegative(clipValue, nameof(clipValue));
        return ClampAndMaxAbs(gradients, T.CreateTruncating(clipValue));
    }

    /// <summary>PyTorch's coefficient, <c>clamp(max_norm / (total_norm + 1e-6), max=1)</c>: NaN for a NaN norm
    /// (Math.Min propagates NaN, as torch.clamp does), 0 for an infinite one.</summary>
    public static double ClipCoefficient(double maxNorm, double totalNorm) => Math.Min(maxNorm / (totalNorm + Epsilon), 1.0);

    /// <summary>Multiplies <paramref name="gradients"/> by <see cref="ClipCoefficient"/>. PyTorch multiplies even when
    /// the coefficient is 1; skipping that is exact, since x·1 = x for every x, NaN and ±∞ included.</summary>
    internal static void ScaleToNorm<T>(Span<T> gradients, double maxNorm, double totalNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T coefficient = T.CreateTruncating(ClipCoefficient(maxNorm, totalNorm));
        if (coefficient != T.One) Scale(gradients, coefficient);
    }

    /// <summary>values[i] ← values[i]·factor.</summary>
    internal static void Scale<T>(Span<T> values, T factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            Span<Vector<T>> vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            var f = new Vector<T>(factor);
            for (int k = 0; k < vectors.Length; k++) vectors[k] *= f;
            i = vectors.Length * Vector<T>.Count;
        }
        for (; i < values.Length; i++) values[i] *= factor;
    }

    /// <summary>max |x| (0 for no values), NaN if any x is NaN.</summary>
    internal static double MaxAbs<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = MemoryMarshal.Cast<T, Vector<T>>(values);
        var max = Vector<T>.Zero;
        foreach (var x in v)
        {
            // x == x fails only for NaN; checked here so that the result does not depend on how Vector.Max treats NaN.
            if (!Vector.EqualsAll(x, x)) return double.NaN;
            max = Vector.Max(max, Vector.Abs(x));
        }
        double result = 0;
        for (int k = 0; k < Vector<T>.Count && v.Length > 0; k++) result = Math.Max(result, double.CreateTruncating(max[k]));
        for (int j = v.Length * Vector<T>.Count; j < values.Length; j++)
        {
            double x = Math.Abs(double.CreateTruncating(values[j]));
            if (double.IsNaN(x)) return double.NaN;
            result = Math.Max(result, x);
        }
        return result;
    }

    /// <summary>Clamps every value into [−limit, limit] (NaN stays NaN) and returns max |x| before clamping, as
    /// <see cref="MaxAbs{T}"/>.</summary>
    internal static double ClampAndMaxAbs<T>(Span<T> values, T limit) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double before = MaxAbs<T>(values); // read once more rather than fold it in: the data is in cache and the loop stays plain
        var v = MemoryMarshal.Cast<T, Vector<T>>(values);
        var high = new Vector<T>(limit);
        var low = -high;
        for (int k = 0; k < v.Length; k++)
        {
            var x = v[k];
            // Comparisons with NaN are false, so a NaN lane keeps x: torch.clamp's behaviour.
            v[k] = Vector.ConditionalSelect(Vector.LessThan(x, low), low, Vector.ConditionalSelect(Vector.GreaterThan(x, high), high, x));
        }
        for (int j = v.Length * Vector<T>.Count; j < values.Length; j++)
        {
            T x = values[j];
            values[j] = x < -limit ? -limit : x > limit ? limit : x;
        }
        return before;
    }

    internal static void CheckNormType(double normType)
    {
        if (normType != 2 && !double.IsPositiveInfinity(normType))
            throw new ArgumentOutOfRangeException(nameof(normType), normType, "GradGen clips by the L2 norm (2) or the largest |g| (double.PositiveInfinity)");
    }

    internal static void RequireFiniteNonNegative(double value, string name)
    {
        if (!double.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and ≥ 0");
    }

    /// <summary>error_if_nonfinite: names the first non-finite gradient, or says the sum of squares overflowed.</summary>
    internal static void ThrowNonFiniteNorm<T>(ReadOnlySpan<T> gradients, IReadOnlyList<ParameterInfo>? parameters, double total, double normType)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < gradients.Length; i++)
        {
            if (T.IsFinite(gradients[i])) continue;
            string name = "gradients";
            int element = i;
            for (int p = 0; parameters is not null && p < parameters.Count; p++)
            {
                if (i >= parameters[p].Offset && i < parameters[p].Offset + parameters[p].Length)
                {
                    (name, element) = (parameters[p].Name, i - parameters[p].Offset);
                    break;
                }
            }
            throw new NonFiniteGradientException(name, element, double.CreateTruncating(gradients[i]));
        }
        throw new OverflowException($"The {(normType == 2 ? "L2" : "∞")} norm of the gradients is {total}, although every gradient is finite: " +
            $"their squares overflow {typeof(T).Name}. The gradients were not clipped; lower the learning rate or the loss scale.");
    }
}
