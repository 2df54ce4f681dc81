using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace GradGen.Curvature;

/// <summary>A dual number v + t·ε with ε² = 0, in float64: <see cref="Value"/> is v and <see cref="Tangent"/> is t.
/// Every operation carries the tangent by the chain rule, so running a function on (x, ẋ) gives (f(x), f′(x)·ẋ):
/// the exact directional derivative, with no step size. GradGen runs a network's generated passes (the same
/// <c>Layers&lt;T&gt;</c> as float and double) with T = Dual to get exact Hessian-vector products
/// (see <see cref="DualNetwork"/>).</summary>
/// <remarks>
/// Comparisons, equality, ordering and every predicate (IsNaN, IsPositive…) look at the value alone: a branch in a
/// kernel (ReLU's z &gt; 0, softmax's running max) must take the path the plain network takes, and the tangent then
/// follows that path. Rounding functions (Floor, Round…) have tangent 0, as their derivative is 0 almost everywhere.
/// Conversions to another number type (double.CreateTruncating) take the value and drop the tangent; conversions from
/// one give a tangent of 0. The SIMD kernels do not accept Dual (Simd.IsVectorizable is false), so the kernels run
/// their scalar reference loops on it.
/// </remarks>
public readonly struct Dual : IFloatingPointIeee754<Dual>
{
    /// <summary>The number itself.</summary>
    public double Value { get; }

    /// <summary>Its derivative along the chosen direction.</summary>
    public double Tangent { get; }

    /// <summary>v + t·ε.</summary>
    public Dual(double value, double tangent = 0)
    {
        Value = value;
        Tangent = tangent;
    }

    /// <summary>A constant: value <paramref name="value"/>, tangent 0.</summary>
    public static implicit operator Dual(double value) => new(value);

    /// <summary>f(z) for a dual z, given f(z.Value) and f′(z.Value): the chain rule.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Dual Chain(Dual z, double value, double derivative) => new(value, derivative * z.Tangent);

    // ---------------------------------------------------------------- arithmetic

    public static Dual operator +(Dual a, Dual b) => new(a.Value + b.Value, a.Tangent + b.Tangent);
    public static Dual operator -(Dual a, Dual b) => new(a.Value - b.Value, a.Tangent - b.Tangent);
    public static Dual operator *(Dual a, Dual b) => new(a.Value * b.Value, a.Tangent * b.Value + a.Value * b.Tangent);
    public static Dual operator /(Dual a, Dual b)
    {
        double q = a.Value / b.Value;
        return new(q, (a.Tangent - q * b.Tangent) / b.Value);
    }
    // a − b·trunc(a/b): the truncated quotient is piecewise constant, so d(a % b) = da − trunc(a/b)·db.
    public static Dual operator %(Dual a, Dual b) => new(a.Value % b.Value, a.Tangent - Math.Truncate(a.Value / b.Value) * b.Tangent);
    public static Dual operator -(Dual a) => new(-a.Value, -a.Tangent);
    public static Dual operator +(Dual a) => a;
    public static Dual operator ++(Dual a) => new(a.Value + 1, a.Tangent);
    public static Dual operator --(Dual a) => new(a.Value - 1, a.Tangent);

    // ---------------------------------------------------------------- comparisons: the value alone

    public static bool operator ==(Dual a, Dual b) => a.Value == b.Value;
    public static bool operator !=(Dual a, Dual b) => a.Value != b.Value;
    public static bool operator <(Dual a, Dual b) => a.Value < b.Value;
    public static bool operator >(Dual a, Dual b) => a.Value > b.Value;
    public static bool operator <=(Dual a, Dual b) => a.Value <= b.Value;
    public static bool operator >=(Dual a, Dual b) => a.Value >= b.Value;

    public int CompareTo(Dual other) => Value.CompareTo(other.Value);
    public int CompareTo(object? obj) => obj is Dual d ? CompareTo(d) : obj is null ? 1 : throw new ArgumentException("Object must be of type Dual", nameof(obj));
    public bool Equals(Dual other) => Value.Equals(other.Value);
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is Dual d && Equals(d);
    public override int GetHashCode() => Value.GetHashCode();

    // ---------------------------------------------------------------- constants

    public static Dual Zero => new(0);
    public static Dual One => new(1);
    public static Dual NegativeOne => new(-1);
    public static Dual AdditiveIdentity => Zero;
    public static Dual MultiplicativeIdentity => One;
    public static int Radix => 2;
    public static Dual E => new(Math.E);
    public static Dual Pi => new(Math.PI);
    public static Dual Tau => new(Math.Tau);
    public static Dual Epsilon => new(double.Epsilon);
    public static Dual NaN => new(double.NaN);
    public static Dual NegativeInfinity => new(double.NegativeInfinity);
    public static Dual NegativeZero => new(-0.0);
    public static Dual PositiveInfinity => new(double.PositiveInfinity);

    // ---------------------------------------------------------------- functions with their derivatives

    public static Dual Abs(Dual x) => x.Value < 0 || double.IsNegative(x.Value) ? -x : x;
    public static Dual Sqrt(Dual x)
    {
        double r = Math.Sqrt(x.Value);
        return Chain(x, r, 0.5 / r);
    }
    public static Dual Cbrt(Dual x)
    {
        double r = Math.Cbrt(x.Value);
        return Chain(x, r, 1.0 / (3.0 * r * r));
    }
    public static Dual Hypot(Dual x, Dual y) => Sqrt(x * x + y * y);
    public static Dual RootN(Dual x, int n) => Pow(x, One / new Dual(n));
    public static Dual Exp(Dual x)
    {
        double e = Math.Exp(x.Value);
        return Chain(x, e, e);
    }
    public static Dual Exp2(Dual x)
    {
        double e = Math.Pow(2, x.Value);
        return Chain(x, e, e * Math.Log(2));
    }
    public static Dual Exp10(Dual x)
    {
        double e = Math.Pow(10, x.Value);
        return Chain(x, e, e * Math.Log(10));
    }
    public static Dual ExpM1(Dual x) => Chain(x, Kernels.SpecialFunctions.ExpM1(x.Value), Math.Exp(x.Value));
    public static Dual Exp2M1(Dual x) => Exp2(x) - One;
    public static Dual Exp10M1(Dual x) => Exp10(x) - One;
    public static Dual Log(Dual x) => Chain(x, Math.Log(x.Value), 1.0 / x.Value);
    public static Dual Log(Dual x, Dual newBase) => Log(x) / Log(newBase);
    public static Dual Log2(Dual x) => Chain(x, Math.Log2(x.Value), 1.0 / (x.Value * Math.Log(2)));
    public static Dual Log10(Dual x) => Chain(x, Math.Log10(x.Value), 1.0 / (x.Value * Math.Log(10)));
    public static Dual LogP1(Dual x) => Chain(x, Kernels.SpecialFunctions.Log1P(x.Value), 1.0 / (1.0 + x.Value));
    public static Dual Log2P1(Dual x) => Log2(x + One);
    public static Dual Log10P1(Dual x) => Log10(x + One);
    public static Dual Pow(Dual x, Dual y)
    {
        double p = Math.Pow(x.Value, y.Value);
        // d(x^y) = y·x^(y−1)·dx + x^y·ln x·dy; the second term only where y varies (ln x is NaN for x < 0).
        double tangent = y.Value * Math.Pow(x.Value, y.Value - 1) * x.Tangent;
        if (y.Tangent != 0) tangent += p * Math.Log(x.Value) * y.Tangent;
        return new(p, tangent);
    }
    public static Dual Tanh(Dual x)
    {
        double t = Math.Tanh(x.Value);
        return Chain(x, t, 1 - t * t);
    }
    public static Dual Sinh(Dual x) => Chain(x, Math.Sinh(x.Value), Math.Cosh(x.Value));
    public static Dual Cosh(Dual x) => Chain(x, Math.Cosh(x.Value), Math.Sinh(x.Value));
    public static Dual Asinh(Dual x) => Chain(x, Math.Asinh(x.Value), 1 / Math.Sqrt(x.Value * x.Value + 1));
    public static Dual Acosh(Dual x) => Chain(x, Math.Acosh(x.Value), 1 / Math.Sqrt(x.Value * x.Value - 1));
    public static Dual Atanh(Dual x) => Chain(x, Math.Atanh(x.Value), 1 / (1 - x.Value * x.Value));
    public static Dual Sin(Dual x) => Chain(x, Math.Sin(x.Value), Math.Cos(x.Value));
    public static Dual Cos(Dual x) => Chain(x, Math.Cos(x.Value), -Math.Sin(x.Value));
    public static Dual Tan(Dual x)
    {
        double t = Math.Tan(x.Value);
        return Chain(x, t, 1 + t * t);
    }
    public static (Dual Sin, Dual Cos) SinCos(Dual x) => (Sin(x), Cos(x));
    public static Dual Asin(Dual x) => Chain(x, Math.Asin(x.Value), 1 / Math.Sqrt(1 - x.Value * x.Value));
    public static Dual Acos(Dual x) => Chain(x, Math.Acos(x.Value), -1 / Math.Sqrt(1 - x.Value * x.Value));
    public static Dual Atan(Dual x) => Chain(x, Math.Atan(x.Value), 1 / (1 + x.Value * x.Value));
    public static Dual Atan2(Dual y, Dual x)
    {
        double r2 = x.Value * x.Value + y.Value * y.Value;
        return new(Math.Atan2(y.Value, x.Value), (x.Value * y.Tangent - y.Value * x.Tangent) / r2);
    }
    public static Dual SinPi(Dual x) => Sin(x * Pi);
    public static Dual CosPi(Dual x) => Cos(x * Pi);
    public static Dual TanPi(Dual x) => Tan(x * Pi);
    public static (Dual SinPi, Dual CosPi) SinCosPi(Dual x) => (SinPi(x), CosPi(x));
    public static Dual AsinPi(Dual x) => Asin(x) / Pi;
    public static Dual AcosPi(Dual x) => Acos(x) / Pi;
    public static Dual AtanPi(Dual x) => Atan(x) / Pi;
    public static Dual Atan2Pi(Dual y, Dual x) => Atan2(y, x) / Pi;
    public static Dual FusedMultiplyAdd(Dual left, Dual right, Dual addend) => left * right + addend;
    public static Dual Ieee754Remainder(Dual left, Dual right)
    {
        double q = Math.Round(left.Value / right.Value, MidpointRounding.ToEven);
        return new(Math.IEEERemainder(left.Value, right.Value), left.Tangent - q * right.Tangent);
    }
    public static Dual ReciprocalEstimate(Dual x) => One / x;
    public static Dual ReciprocalSqrtEstimate(Dual x) => One / Sqrt(x);
    public static Dual ScaleB(Dual x, int n) => new(Math.ScaleB(x.Value, n), Math.ScaleB(x.Tangent, n));
    public static Dual BitDecrement(Dual x) => new(Math.BitDecrement(x.Value), x.Tangent);
    public static Dual BitIncrement(Dual x) => new(Math.BitIncrement(x.Value), x.Tangent);
    public static int ILogB(Dual x) => Math.ILogB(x.Value);

    // Piecewise constant: tangent 0.
    public static Dual Round(Dual x, int digits, MidpointRounding mode) => new(Math.Round(x.Value, digits, mode));
    public static Dual Round(Dual x) => new(Math.Round(x.Value));
    public static Dual Floor(Dual x) => new(Math.Floor(x.Value));
    public static Dual Ceiling(Dual x) => new(Math.Ceiling(x.Value));
    public static Dual Truncate(Dual x) => new(Math.Truncate(x.Value));

    // Selections keep the chosen operand's tangent.
    public static Dual Max(Dual x, Dual y) => double.IsNaN(x.Value) ? x : double.IsNaN(y.Value) ? y : x.Value >= y.Value ? x : y;
    public static Dual Min(Dual x, Dual y) => double.IsNaN(x.Value) ? x : double.IsNaN(y.Value) ? y : x.Value <= y.Value ? x : y;
    public static Dual MaxMagnitude(Dual x, Dual y) => Math.Abs(x.Value) >= Math.Abs(y.Value) || double.IsNaN(x.Value) ? x : y;
    public static Dual MaxMagnitudeNumber(Dual x, Dual y) => double.IsNaN(y.Value) || Math.Abs(x.Value) >= Math.Abs(y.Value) ? x : y;
    public static Dual MinMagnitude(Dual x, Dual y) => Math.Abs(x.Value) <= Math.Abs(y.Value) || double.IsNaN(x.Value) ? x : y;
    public static Dual MinMagnitudeNumber(Dual x, Dual y) => double.IsNaN(y.Value) || Math.Abs(x.Value) <= Math.Abs(y.Value) ? x : y;
    public static Dual MaxNumber(Dual x, Dual y) => double.IsNaN(y.Value) || x.Value >= y.Value ? x : y;
    public static Dual MinNumber(Dual x, Dual y) => double.IsNaN(y.Value) || x.Value <= y.Value ? x : y;
    public static Dual Clamp(Dual value, Dual min, Dual max) => value < min ? min : value > max ? max : value;
    public static Dual CopySign(Dual value, Dual sign) => double.IsNegative(value.Value) == double.IsNegative(sign.Value) ? value : -value;
    public static int Sign(Dual value) => Math.Sign(value.Value);

    // ---------------------------------------------------------------- predicates: the value alone

    public static bool IsCanonical(Dual value) => true;
    public static bool IsComplexNumber(Dual value) => false;
    public static bool IsEvenInteger(Dual value) => double.IsEvenInteger(value.Value);
    public static bool IsFinite(Dual value) => double.IsFinite(value.Value);
    public static bool IsImaginaryNumber(Dual value) => false;
    public static bool IsInfinity(Dual value) => double.IsInfinity(value.Value);
    public static bool IsInteger(Dual value) => double.IsInteger(value.Value);
    public static bool IsNaN(Dual value) => double.IsNaN(value.Value);
    public static bool IsNegative(Dual value) => double.IsNegative(value.Value);
    public static bool IsNegativeInfinity(Dual value) => double.IsNegativeInfinity(value.Value);
    public static bool IsNormal(Dual value) => double.IsNormal(value.Value);
    public static bool IsOddInteger(Dual value) => double.IsOddInteger(value.Value);
    public static bool IsPositive(Dual value) => double.IsPositive(value.Value);
    public static bool IsPositiveInfinity(Dual value) => double.IsPositiveInfinity(value.Value);
    public static bool IsRealNumber(Dual value) => double.IsRealNumber(value.Value);
    public static bool IsSubnormal(Dual value) => double.IsSubnormal(value.Value);
    public static bool IsZero(Dual value) => value.Value == 0;
    public static bool IsPow2(Dual value) => double.IsPow2(value.Value);

    // ---------------------------------------------------------------- the IEEE layout of the value

    int IFloatingPoint<Dual>.GetExponentByteCount() => ((IFloatingPoint<double>)Value).GetExponentByteCount();
    int IFloatingPoint<Dual>.GetExponentShortestBitLength() => ((IFloatingPoint<double>)Value).GetExponentShortestBitLength();
    int IFloatingPoint<Dual>.GetSignificandBitLength() => ((IFloatingPoint<double>)Value).GetSignificandBitLength();
    int IFloatingPoint<Dual>.GetSignificandByteCount() => ((IFloatingPoint<double>)Value).GetSignificandByteCount();
    bool IFloatingPoint<Dual>.TryWriteExponentBigEndian(Span<byte> destination, out int bytesWritten) => ((IFloatingPoint<double>)Value).TryWriteExponentBigEndian(destination, out bytesWritten);
    bool IFloatingPoint<Dual>.TryWriteExponentLittleEndian(Span<byte> destination, out int bytesWritten) => ((IFloatingPoint<double>)Value).TryWriteExponentLittleEndian(destination, out bytesWritten);
    bool IFloatingPoint<Dual>.TryWriteSignificandBigEndian(Span<byte> destination, out int bytesWritten) => ((IFloatingPoint<double>)Value).TryWriteSignificandBigEndian(destination, out bytesWritten);
    bool IFloatingPoint<Dual>.TryWriteSignificandLittleEndian(Span<byte> destination, out int bytesWritten) => ((IFloatingPoint<double>)Value).TryWriteSignificandLittleEndian(destination, out bytesWritten);

    // ---------------------------------------------------------------- conversions: from a number, tangent 0; to one, the value

    static bool INumberBase<Dual>.TryConvertFromChecked<TOther>(TOther value, out Dual result) => TryConvertFrom(value, out result);
    static bool INumberBase<Dual>.TryConvertFromSaturating<TOther>(TOther value, out Dual result) => TryConvertFrom(value, out result);
    static bool INumberBase<Dual>.TryConvertFromTruncating<TOther>(TOther value, out Dual result) => TryConvertFrom(value, out result);

    private static bool TryConvertFrom<TOther>(TOther value, out Dual result) where TOther : INumberBase<TOther>
    {
        if (typeof(TOther) == typeof(Dual))
        {
            result = (Dual)(object)value;
            return true;
        }
        if (TOther.IsComplexNumber(value) && !TOther.IsZero(value) && !TOther.IsRealNumber(value))
        {
            result = default;
            return false;
        }
        result = new Dual(double.CreateTruncating(value));
        return true;
    }

    static bool INumberBase<Dual>.TryConvertToChecked<TOther>(Dual value, [MaybeNullWhen(false)] out TOther result) => TryConvertTo(value, out result);
    static bool INumberBase<Dual>.TryConvertToSaturating<TOther>(Dual value, [MaybeNullWhen(false)] out TOther result) => TryConvertTo(value, out result);
    static bool INumberBase<Dual>.TryConvertToTruncating<TOther>(Dual value, [MaybeNullWhen(false)] out TOther result) => TryConvertTo(value, out result);

    private static bool TryConvertTo<TOther>(Dual value, [MaybeNullWhen(false)] out TOther result) where TOther : INumberBase<TOther>
    {
        result = TOther.CreateTruncating(value.Value);
        return true;
    }

    // ---------------------------------------------------------------- text: "value" or "value + tangent·ε"

    public override string ToString() => ToString(null, CultureInfo.InvariantCulture);

    public string ToString(string? format, IFormatProvider? formatProvider) =>
        Tangent == 0 ? Value.ToString(format, formatProvider) : $"{Value.ToString(format, formatProvider)} + {Tangent.ToString(format, formatProvider)}ε";

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        string text = ToString(format.IsEmpty ? null : format.ToString(), provider);
        if (text.Length > destination.Length)
        {
            charsWritten = 0;
            return false;
        }
        text.CopyTo(destination);
        charsWritten = text.Length;
        return true;
    }

    // Parsing reads a plain number (tangent 0).
    public static Dual Parse(string s, IFormatProvider? provider) => double.Parse(s, provider);
    public static Dual Parse(string s, NumberStyles style, IFormatProvider? provider) => double.Parse(s, style, provider);
    public static Dual Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => double.Parse(s, provider);
    public static Dual Parse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider) => double.Parse(s, style, provider);

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out Dual result)
    {
        bool ok = double.TryParse(s, provider, out double value);
        result = value;
        return ok;
    }

    public static bool TryParse([NotNullWhen(true)] string? s, NumberStyles style, IFormatProvider? provider, out Dual result)
    {
        bool ok = double.TryParse(s, style, provider, out double value);
        result = value;
        return ok;
    }

    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out Dual result)
    {
        bool ok = double.TryParse(s, provider, out double value);
        result = value;
        return ok;
    }

    public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out Dual result)
    {
        bool ok = double.TryParse(s, style, provider, out double value);
        result = value;
        return ok;
    }
}
