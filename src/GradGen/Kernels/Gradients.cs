using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>The two whole-buffer passes of a training step that are not an optimizer's update: setting the gradients
/// to zero before the backward, and checking that they are all finite before the update. Each runs at the widest
/// accelerated vector width and splits into element ranges over up to <see cref="Parallelism.MaxThreads"/> threads
/// when each part gets at least <see cref="MinElementsPerPart"/> elements; neither has a result that depends on the
/// split (zeros, and a yes or no), so every thread count gives the same answer.</summary>
public static class Gradients
{
    // About two microseconds of one core per part: a 242,762-gradient MLP splits in two, a 10,000-gradient one does not.
    private const int MinElementsPerPart = 64 * 1024;

    /// <summary>values[i] = 0 for every i.</summary>
    public static unsafe void Clear<T>(Span<T> values) where T : unmanaged
    {
        int parts = PartsFor(values.Length);
        if (parts <= 1)
        {
            values.Clear();
            return;
        }
        fixed (T* p = values)
        {
            var job = new Job<T> { Values = p, Length = values.Length };
            Parallelism.Run(&ClearPart<T>, &job, parts);
        }
    }

    /// <summary>Whether no value is NaN or ±∞.</summary>
    public static unsafe bool AllFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int parts = PartsFor(values.Length);
        fixed (T* p = values)
        {
            if (parts <= 1) return AllFinite(p, values.Length);
            var job = new Job<T> { Values = p, Length = values.Length };
            Parallelism.Run(&AllFinitePart<T>, &job, parts);
            return !job.FoundNonFinite;
        }
    }

    private static int PartsFor(int length) => Math.Min(Parallelism.AvailableThreads, length / MinElementsPerPart);

    private unsafe struct Job<T> where T : unmanaged
    {
        public T* Values;
        public int Length;
        // Written only to set it, by whichever parts find a non-finite value: the answer is the same in any order.
        public bool FoundNonFinite;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ClearPart<T>(void* context, int part, int parts) where T : unmanaged
    {
        ref Job<T> job = ref Unsafe.AsRef<Job<T>>(context);
        var (start, end) = Parallelism.Share(job.Length, part, parts);
        new Span<T>(job.Values + start, end - start).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AllFinitePart<T>(void* context, int part, int parts) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref Unsafe.AsRef<Job<T>>(context);
        var (start, end) = Parallelism.Share(job.Length, part, parts);
        if (!AllFinite(job.Values + start, end - start)) Volatile.Write(ref job.FoundNonFinite, true);
    }

    private static unsafe bool AllFinite<T>(T* values, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated) return AllFinite<T, Vector512<T>, Simd512<T>>(values, length);
        if (Simd256<T>.IsAccelerated) return AllFinite<T, Vector256<T>, Simd256<T>>(values, length);
        if (Simd128<T>.IsAccelerated) return AllFinite<T, Vector128<T>, Simd128<T>>(values, length);
        return AllFiniteScalar(values, length);
    }

    // x − x is 0 for a finite x and NaN for NaN and ±∞, and a NaN stays NaN through every addition: the sum of x − x
    // over the values is 0 exactly when all of them are finite. One subtraction and one addition per vector, four sums
    // in flight to hide the addition's latency, and no branch in the loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe bool AllFinite<T, TVec, TOps>(T* values, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, i = 0;
        TVec s0 = TOps.Zero, s1 = TOps.Zero, s2 = TOps.Zero, s3 = TOps.Zero;
        for (; i <= length - 4 * v; i += 4 * v)
        {
            TVec x0 = TOps.Load(values + i), x1 = TOps.Load(values + i + v);
            TVec x2 = TOps.Load(values + i + 2 * v), x3 = TOps.Load(values + i + 3 * v);
            s0 = TOps.Add(s0, TOps.Subtract(x0, x0));
            s1 = TOps.Add(s1, TOps.Subtract(x1, x1));
            s2 = TOps.Add(s2, TOps.Subtract(x2, x2));
            s3 = TOps.Add(s3, TOps.Subtract(x3, x3));
        }
        for (; i <= length - v; i += v)
        {
            TVec x = TOps.Load(values + i);
            s0 = TOps.Add(s0, TOps.Subtract(x, x));
        }
        T sum = TOps.Sum(TOps.Add(TOps.Add(s0, s1), TOps.Add(s2, s3)));
        return sum == T.Zero && AllFiniteScalar(values + i, length - i);
    }

    /// <summary>destination[i] = a·x[i] + b·y[i] for i in [0, length) (destination may be x): one step of a data-parallel
    /// training step's reduction, which adds the slices' gradients weighted by their shares of the batch. Returns whether
    /// every result is finite. No fused multiply-add, so every lane rounds as in <see cref="WeightedSumScalar"/>: the same
    /// bits at every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe bool WeightedSum<T>(T* destination, T* x, T a, T* y, T b, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsAccelerated) return WeightedSum<T, Vector512<T>, Simd512<T>>(destination, x, a, y, b, length);
        if (Simd256<T>.IsAccelerated) return WeightedSum<T, Vector256<T>, Simd256<T>>(destination, x, a, y, b, length);
        if (Simd128<T>.IsAccelerated) return WeightedSum<T, Vector128<T>, Simd128<T>>(destination, x, a, y, b, length);
        return WeightedSumScalar(destination, x, a, y, b, length);
    }

    // The finiteness check rides along as in AllFinite: the sum of r − r over the results is 0 exactly when all are finite.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe bool WeightedSum<T, TVec, TOps>(T* destination, T* x, T a, T* y, T b, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>
    {
        int v = TOps.Count, i = 0;
        TVec va = TOps.Create(a), vb = TOps.Create(b), s0 = TOps.Zero, s1 = TOps.Zero;
        for (; i <= length - 2 * v; i += 2 * v)
        {
            TVec r0 = TOps.Add(TOps.Multiply(va, TOps.Load(x + i)), TOps.Multiply(vb, TOps.Load(y + i)));
            TVec r1 = TOps.Add(TOps.Multiply(va, TOps.Load(x + i + v)), TOps.Multiply(vb, TOps.Load(y + i + v)));
            TOps.Store(r0, destination + i);
            TOps.Store(r1, destination + i + v);
            s0 = TOps.Add(s0, TOps.Subtract(r0, r0));
            s1 = TOps.Add(s1, TOps.Subtract(r1, r1));
        }
        bool finite = TOps.Sum(TOps.Add(s0, s1)) == T.Zero;
        return WeightedSumScalar(destination + i, x + i, a, y + i, b, length - i) && finite;
    }

    internal static unsafe bool WeightedSumScalar<T>(T* destination, T* x, T a, T* y, T b, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool finite = true;
        for (int i = 0; i < length; i++)
        {
            T r = a * x[i] + b * y[i];
            destination[i] = r;
            finite &= T.IsFinite(r);
        }
        return finite;
    }

    internal static unsafe bool AllFiniteScalar<T>(T* values, int length) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < length; i++)
        {
            if (!T.IsFinite(values[i])) return false;
        }
        return true;
    }
}
