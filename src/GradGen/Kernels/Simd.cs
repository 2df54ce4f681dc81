using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace GradGen.Kernels;

// One SIMD style for every kernel and optimizer: code is written once, generic over a hardware vector type TVec of T
// and a struct TOps : ISimd<TVec, T> whose static members are that width's operations. The three implementations
// below (512, 256 and 128 bits; 128 covers x64 SSE and ARM64 AdvSimd) are one-line forwards to Vector512/256/128,
// which the JIT inlines, so a kernel instantiated for Simd256<float> is plain AVX2 code with ymm locals.
// (.NET 10's own ISimdVector<TSelf, T> would do the same, but it is internal.)
// Each public kernel picks its width once, from IsAccelerated, which the JIT folds to a constant:
//     if (Simd512<T>.IsAccelerated) Kernel<T, Vector512<T>, Simd512<T>>(...);
//     else if (Simd256<T>.IsAccelerated) ...; else if (Simd128<T>.IsAccelerated) ...; else KernelReference(...);
// DOTNET_PreferredVectorBitWidth=256|128 and DOTNET_EnableHWIntrinsic=0 select the narrower paths (the tests run each).

/// <summary>The operations the kernels use on a hardware vector <typeparamref name="TVec"/> of
/// <typeparamref name="T"/> (float or double). The double-only members serve the vector exp and log.</summary>
internal interface ISimd<TVec, T> where TVec : unmanaged where T : unmanaged
{
    /// <summary>This width runs in hardware for T (a narrower width is accelerated too where a wider one is; the
    /// kernels take the widest).</summary>
    static abstract bool IsAccelerated { get; }
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }
    /// <summary>Architectural vector registers: it picks the register-block shape (32 on AVX-512 and ARM64, 16 on AVX2 and SSE).</summary>
    static abstract int Registers { get; }
    static abstract TVec Zero { get; }
    static abstract TVec One { get; }
    static abstract TVec Create(T value);
    static abstract unsafe TVec Load(T* source);
    static abstract unsafe void Store(TVec value, T* destination);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Subtract(TVec a, TVec b);
    static abstract TVec Multiply(TVec a, TVec b);
    static abstract TVec Divide(TVec a, TVec b);
    static abstract TVec Negate(TVec a);
    /// <summary>a·b + c with one rounding.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
    static abstract TVec Min(TVec a, TVec b);
    static abstract TVec Max(TVec a, TVec b);
    static abstract TVec Abs(TVec a);
    static abstract TVec Sqrt(TVec a);
    static abstract TVec Floor(TVec a);
    static abstract TVec And(TVec a, TVec b);
    static abstract TVec Or(TVec a, TVec b);
    /// <summary>All-ones lanes where a &gt; b (false for NaN), zero elsewhere; likewise the other comparisons.</summary>
    static abstract TVec GreaterThan(TVec a, TVec b);
    static abstract TVec GreaterThanOrEqual(TVec a, TVec b);
    static abstract TVec LessThan(TVec a, TVec b);
    static abstract TVec IsNaN(TVec a);
    /// <summary>Lanes of a where mask is set, of b elsewhere.</summary>
    static abstract TVec Select(TVec mask, TVec a, TVec b);
    static abstract T Sum(TVec a);
    /// <summary>Double only: 2^k for integer-valued k in [−1022, 1023].</summary>
    static abstract TVec PowerOfTwo(TVec k);
    /// <summary>Double only: e with x = m·2^e, m in [1, 2), for positive normal x (as a double).</summary>
    static abstract TVec Exponent(TVec x);
    /// <summary>Double only: m with x = m·2^e, m in [1, 2), for positive normal x.</summary>
    static abstract TVec Significand(TVec x);
    /// <summary>Applies a double formula: directly for double; for float on the two halves widened to double, then
    /// narrowed once, as the scalar activations compute floats in double and round once.</summary>
    static abstract TVec ApplyInDouble<TFormula>(TVec z, TFormula formula) where TFormula : struct, IDoubleFormula;
}

/// <summary>A formula on vectors of double, written once for every width.</summary>
internal interface IDoubleFormula
{
    TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>;
}

/// <summary>Which vector width the kernels run at in this process.</summary>
internal static class Simd
{
    /// <summary>The vector width in bits the kernels use for T: 512, 256, 128, or 0 for the scalar references.</summary>
    public static int Width<T>() where T : unmanaged
        => Simd512<T>.IsAccelerated ? 512 : Simd256<T>.IsAccelerated ? 256 : Simd128<T>.IsAccelerated ? 128 : 0;

    /// <summary>float or double: the element types the vector kernels handle (Half and others take the references).</summary>
    public static bool IsVectorizable<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(double);

    // Bits of 1.5·2^52: adding it to an integer-valued double |k| < 2^51 leaves k in the low bits of the sum.
    internal const double Magic = 6755399441055744.0;
    internal const ulong ExponentMask = 0x7FF0_0000_0000_0000, SignificandMask = 0x000F_FFFF_FFFF_FFFF, OneBits = 0x3FF0_0000_0000_0000;
}

/// <summary>ISimd over Vector512.</summary>
internal readonly struct Simd512<T> : ISimd<Vector512<T>, T> where T : unmanaged
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Simd.IsVectorizable<T>();
    public static int Count => Vector512<T>.Count;
    public static int Registers => 32;
    public static Vector512<T> Zero => Vector512<T>.Zero;
    public static Vector512<T> One => Vector512<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Create(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector512<T> Load(T* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector512<T> value, T* destination) => Vector512.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Subtract(Vector512<T> a, Vector512<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Divide(Vector512<T> a, Vector512<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Negate(Vector512<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Min(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Max(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Abs(Vector512<T> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Floor(Vector512<T> a)
        => typeof(T) == typeof(double) ? Vector512.Floor(a.As<T, double>()).As<double, T>() : Vector512.Floor(a.As<T, float>()).As<float, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Sqrt(Vector512<T> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> And(Vector512<T> a, Vector512<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Or(Vector512<T> a, Vector512<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThan(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThanOrEqual(Vector512<T> a, Vector512<T> b) => Vector512.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> LessThan(Vector512<T> a, Vector512<T> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> IsNaN(Vector512<T> a) => Vector512.IsNaN(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Select(Vector512<T> mask, Vector512<T> a, Vector512<T> b) => Vector512.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> a) => Vector512.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException();
    }

    // 2^k: the biased exponent k + 1023 sits in the low bits of k + 1023 + Magic; shifted up 52 bits it is the double's
    // exponent field (Magic's own bits, all above bit 51, shift out).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> PowerOfTwo(Vector512<T> k)
        => Vector512.ShiftLeft((k.As<T, double>() + Vector512.Create(1023 + Simd.Magic)).AsUInt64(), 52).As<ulong, T>();

    // The exponent field as an integer, turned into a double by the same Magic trick, minus the bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exponent(Vector512<T> x)
    {
        Vector512<ulong> field = Vector512.ShiftRightLogical(x.AsUInt64(), 52);
        return ((field | Vector512.Create(BitConverter.DoubleToUInt64Bits(Simd.Magic))).AsDouble() - Vector512.Create(Simd.Magic + 1023)).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Significand(Vector512<T> x)
        => ((x.AsUInt64() & Vector512.Create(Simd.SignificandMask)) | Vector512.Create(Simd.OneBits)).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> ApplyInDouble<TFormula>(Vector512<T> z, TFormula formula) where TFormula : struct, IDoubleFormula
    {
        if (typeof(T) == typeof(double)) return formula.Apply<Vector512<double>, Simd512<double>>(z.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
        {
            (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(z.As<T, float>());
            return Vector512.Narrow(formula.Apply<Vector512<double>, Simd512<double>>(lower), formula.Apply<Vector512<double>, Simd512<double>>(upper)).As<float, T>();
        }
        throw new NotSupportedException();
    }
}

/// <summary>ISimd over Vector256.</summary>
internal readonly struct Simd256<T> : ISimd<Vector256<T>, T> where T : unmanaged
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Simd.IsVectorizable<T>();
    public static int Count => Vector256<T>.Count;
    public static int Registers => 16;
    public static Vector256<T> Zero => Vector256<T>.Zero;
    public static Vector256<T> One => Vector256<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Create(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector256<T> Load(T* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector256<T> value, T* destination) => Vector256.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Subtract(Vector256<T> a, Vector256<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Divide(Vector256<T> a, Vector256<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Negate(Vector256<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Min(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Max(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Abs(Vector256<T> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Floor(Vector256<T> a)
        => typeof(T) == typeof(double) ? Vector256.Floor(a.As<T, double>()).As<double, T>() : Vector256.Floor(a.As<T, float>()).As<float, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Sqrt(Vector256<T> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> And(Vector256<T> a, Vector256<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Or(Vector256<T> a, Vector256<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThan(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThanOrEqual(Vector256<T> a, Vector256<T> b) => Vector256.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> LessThan(Vector256<T> a, Vector256<T> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> IsNaN(Vector256<T> a) => Vector256.IsNaN(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Select(Vector256<T> mask, Vector256<T> a, Vector256<T> b) => Vector256.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> a) => Vector256.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException();
    }

    // 2^k: the biased exponent k + 1023 sits in the low bits of k + 1023 + Magic; shifted up 52 bits it is the double's
    // exponent field (Magic's own bits, all above bit 51, shift out).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> PowerOfTwo(Vector256<T> k)
        => Vector256.ShiftLeft((k.As<T, double>() + Vector256.Create(1023 + Simd.Magic)).AsUInt64(), 52).As<ulong, T>();

    // The exponent field as an integer, turned into a double by the same Magic trick, minus the bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exponent(Vector256<T> x)
    {
        Vector256<ulong> field = Vector256.ShiftRightLogical(x.AsUInt64(), 52);
        return ((field | Vector256.Create(BitConverter.DoubleToUInt64Bits(Simd.Magic))).AsDouble() - Vector256.Create(Simd.Magic + 1023)).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Significand(Vector256<T> x)
        => ((x.AsUInt64() & Vector256.Create(Simd.SignificandMask)) | Vector256.Create(Simd.OneBits)).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ApplyInDouble<TFormula>(Vector256<T> z, TFormula formula) where TFormula : struct, IDoubleFormula
    {
        if (typeof(T) == typeof(double)) return formula.Apply<Vector256<double>, Simd256<double>>(z.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
        {
            (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(z.As<T, float>());
            return Vector256.Narrow(formula.Apply<Vector256<double>, Simd256<double>>(lower), formula.Apply<Vector256<double>, Simd256<double>>(upper)).As<float, T>();
        }
        throw new NotSupportedException();
    }
}

/// <summary>ISimd over Vector128.</summary>
internal readonly struct Simd128<T> : ISimd<Vector128<T>, T> where T : unmanaged
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Simd.IsVectorizable<T>();
    public static int Count => Vector128<T>.Count;
    public static int Registers => AdvSimd.Arm64.IsSupported ? 32 : 16;
    public static Vector128<T> Zero => Vector128<T>.Zero;
    public static Vector128<T> One => Vector128<T>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Create(T value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector128<T> Load(T* source) => Vector128.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(Vector128<T> value, T* destination) => Vector128.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Subtract(Vector128<T> a, Vector128<T> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> a, Vector128<T> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Divide(Vector128<T> a, Vector128<T> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Negate(Vector128<T> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Min(Vector128<T> a, Vector128<T> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Max(Vector128<T> a, Vector128<T> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Abs(Vector128<T> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Floor(Vector128<T> a)
        => typeof(T) == typeof(double) ? Vector128.Floor(a.As<T, double>()).As<double, T>() : Vector128.Floor(a.As<T, float>()).As<float, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Sqrt(Vector128<T> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> And(Vector128<T> a, Vector128<T> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Or(Vector128<T> a, Vector128<T> b) => a | b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThan(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThanOrEqual(Vector128<T> a, Vector128<T> b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> LessThan(Vector128<T> a, Vector128<T> b) => Vector128.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> IsNaN(Vector128<T> a) => Vector128.IsNaN(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Select(Vector128<T> mask, Vector128<T> a, Vector128<T> b) => Vector128.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException();
    }

    // 2^k: the biased exponent k + 1023 sits in the low bits of k + 1023 + Magic; shifted up 52 bits it is the double's
    // exponent field (Magic's own bits, all above bit 51, shift out).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> PowerOfTwo(Vector128<T> k)
        => Vector128.ShiftLeft((k.As<T, double>() + Vector128.Create(1023 + Simd.Magic)).AsUInt64(), 52).As<ulong, T>();

    // The exponent field as an integer, turned into a double by the same Magic trick, minus the bias.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exponent(Vector128<T> x)
    {
        Vector128<ulong> field = Vector128.ShiftRightLogical(x.AsUInt64(), 52);
        return ((field | Vector128.Create(BitConverter.DoubleToUInt64Bits(Simd.Magic))).AsDouble() - Vector128.Create(Simd.Magic + 1023)).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Significand(Vector128<T> x)
        => ((x.AsUInt64() & Vector128.Create(Simd.SignificandMask)) | Vector128.Create(Simd.OneBits)).As<ulong, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> ApplyInDouble<TFormula>(Vector128<T> z, TFormula formula) where TFormula : struct, IDoubleFormula
    {
        if (typeof(T) == typeof(double)) return formula.Apply<Vector128<double>, Simd128<double>>(z.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
        {
            (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(z.As<T, float>());
            return Vector128.Narrow(formula.Apply<Vector128<double>, Simd128<double>>(lower), formula.Apply<Vector128<double>, Simd128<double>>(upper)).As<float, T>();
        }
        throw new NotSupportedException();
    }
}
