using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GradGen.Kernels;

/// <summary>Scalar functions that .NET lacks or implements too loosely for float64 training:
/// erf (no Math.Erf), and log1p / expm1 (double.LogP1 and double.ExpM1 are computed as Log(x + 1) and Exp(x) − 1,
/// which lose all relative precision for tiny x); and e^x on a vector of doubles, which the vector activations need
/// (Vector512.Exp is slower than a scalar Math.Exp per element on .NET 10).</summary>
public static class SpecialFunctions
{
    // W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969), as in his
    // CALERF routine (netlib specfun). (Arrays, not ReadOnlySpan properties: a double collection expression there
    // allocates on every call.) Three ranges: |x| ≤ 0.5 (erf directly), 0.5 < |x| ≤ 4 and |x| > 4 (erfc).
    private static readonly double[] ErfA = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1];
    private static readonly double[] ErfB = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03];
    private static readonly double[] ErfC = [5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8];
    private static readonly double[] ErfD = [1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03];
    private static readonly double[] ErfP = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
    private static readonly double[] ErfQ = [2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
    private const double OneOverSqrtPi = 5.6418958354775628695e-1;

    /// <summary>The error function, erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to about 1e-16 relative (Cody's approximations).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double y = Math.Abs(x);
        if (y <= 0.5)
        {
            // erf(x) = x · P(x²)/Q(x²); below 1e-300 or so x² underflows harmlessly to 0 and erf(x) = x·2/√π.
            double ysq = y * y;
            double[] a = ErfA, b = ErfB;
            double xnum = a[4] * ysq, xden = ysq;
            for (int i = 0; i < 3; i++)
            {
                xnum = (xnum + a[i]) * ysq;
                xden = (xden + b[i]) * ysq;
            }
            return x * (xnum + a[3]) / (xden + b[3]);
        }
        // |erf| rounds to exactly 1 beyond 6 (erfc(6) ≈ 2e-17 < half an ulp of 1).
        if (y >= 6.0) return x > 0 ? 1.0 : -1.0;
        double erfc = ErfcPositive(y);
        // (0.5 − erfc) + 0.5 rather than 1 − erfc: Cody's ordering, exact for erfc ≤ 0.5.
        double r = (0.5 - erfc) + 0.5;
        return x > 0 ? r : -r;
    }

    /// <summary>The complementary error function 1 − erf(x), accurate in relative terms also where it is tiny.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        double y = Math.Abs(x);
        if (y <= 0.5) return 1.0 - Erf(x);
        if (x < 0) return 2.0 - (y >= 27.0 ? 0.0 : ErfcPositive(y));
        return y >= 27.0 ? 0.0 : ErfcPositive(y);
    }

    // erfc(y) for 0.5 < y < 27.
    private static double ErfcPositive(double y)
    {
        double result;
        if (y <= 4.0)
        {
            // erfc(y) = e^(−y²) · P(y)/Q(y).
            double[] c = ErfC, d = ErfD;
            double xnum = c[8] * y, xden = y;
            for (int i = 0; i < 7; i++)
            {
                xnum = (xnum + c[i]) * y;
                xden = (xden + d[i]) * y;
            }
            result = (xnum + c[7]) / (xden + d[7]);
        }
        else
        {
            // erfc(y) = e^(−y²)/y · (1/√π + 1/y² · P(1/y²)/Q(1/y²)).
            double[] p = ErfP, q = ErfQ;
            double ysq = 1.0 / (y * y);
            double xnum = p[5] * ysq, xden = ysq;
            for (int i = 0; i < 4; i++)
            {
                xnum = (xnum + p[i]) * ysq;
                xden = (xden + q[i]) * ysq;
            }
            result = ysq * (xnum + p[4]) / (xden + q[4]);
            result = (OneOverSqrtPi - result) / y;
        }
        // e^(−y²) computed as e^(−s²)·e^(−(y−s)(y+s)) with s = y rounded down to 1/16: s² is exact, so the large
        // exponent carries no rounding error from forming y² (Cody's trick).
        double s = Math.Truncate(y * 16.0) / 16.0;
        double del = (y - s) * (y + s);
        return Math.Exp(-s * s) * Math.Exp(-del) * result;
    }

    /// <summary>log(1 + x), accurate for tiny x.</summary>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0) return x;
        if (double.IsPositiveInfinity(u)) return u;
        // Kahan's trick: log(u)·x/(u − 1) cancels the rounding error made in forming u = 1 + x.
        return Math.Log(u) * (x / (u - 1.0));
    }

    /// <summary>e^x − 1, accurate for tiny x.</summary>
    public static double ExpM1(double x)
    {
        if (Math.Abs(x) >= 0.5) return Math.Exp(x) - 1.0;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        // Kahan's trick: (u − 1)·x/log(u) cancels the rounding error made in rounding e^x to u.
        return (u - 1.0) * x / Math.Log(u);
    }

    // The vector functions below are written once for every width: TD is a vector of double and TOps its operations.

    /// <summary>e^x lane by lane, within 1 ulp of Math.Exp (2.2e-16 relative over normal results; subnormal results,
    /// overflow to +∞, underflow to 0, NaN, ±∞ and −0 as Math.Exp), about 4× faster than Math.Exp per element.</summary>
    // Inlined so that the two halves of a widened float vector (two independent 13-FMA chains) overlap in the core.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD Exp<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // e^x = 2^k · e^r with k = round(x / ln 2) and r = x − k·ln 2 (ReduceByLn2). Inputs are clamped first so k fits
        // any exponent arithmetic; outside [−750, 710] the result is 0 or +∞ anyway.
        TD r = ReduceByLn2<TD, TOps>(TOps.Min(TOps.Max(x, TOps.Create(-750.0)), TOps.Create(710.0)), out TD k);
        // e^r by its Taylor series to r¹³ in Horner form: the first omitted term, r¹⁴/14!, is below 5e-18 for |r| ≤ 0.347.
        TD p = TOps.Create(1.0 / 6227020800.0);
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 479001600.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 39916800.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 3628800.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 362880.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 40320.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 5040.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 720.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 120.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 24.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 6.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(0.5));
        p = TOps.MultiplyAdd(p, r, TOps.One);
        p = TOps.MultiplyAdd(p, r, TOps.One);
        // 2^k as two factors 2^k1 · 2^k2 (k1 ≈ k/2), each a normal double for every k in [−1082, 1024]: the first
        // product is exact, so a subnormal result is rounded once, and 2^1024 overflows only when e^x does.
        TD k1 = RoundToInteger<TD, TOps>(TOps.Multiply(k, TOps.Create(0.5)));
        TD k2 = TOps.Subtract(k, k1);
        TD result = TOps.Multiply(TOps.Multiply(p, TOps.PowerOfTwo(k1)), TOps.PowerOfTwo(k2));
        return TOps.Select(TOps.IsNaN(x), x, result);
    }

    /// <summary>x = k·ln 2 + r with k = round(x / ln 2), |r| ≤ ln 2 / 2; returns r. ln 2 is split in two (Cody and Waite:
    /// the high part has 32 significant bits, so k·Ln2Hi is exact for the clamped inputs of the callers) and r is exact
    /// to about 1e-20.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD ReduceByLn2<TD, TOps>(TD x, out TD k) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        k = RoundToInteger<TD, TOps>(TOps.Multiply(x, TOps.Create(1.4426950408889634)));
        TD r = TOps.MultiplyAdd(TOps.Negate(k), TOps.Create(6.93147180369123816490e-01), x);
        return TOps.MultiplyAdd(TOps.Negate(k), TOps.Create(1.90821492927058770002e-10), r);
    }

    /// <summary>e^x lane by lane for x ≤ 0 (and NaN, which gives NaN), to 3e-13 relative: for a result that is
    /// rounded to float, where it is correctly rounded except within 3e-13 of a rounding boundary (one float ulp off
    /// there). Cheaper than <see cref="Exp{TD, TOps}"/>: a degree-10 series and one power of two, because x is clamped
    /// at −128: below it the result is e^−128 = 2.6e-56, which is 0 in float as the true value is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD ExpNonPositiveForFloat<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // As Exp: k = round(x / ln 2), r = x − k·ln 2 in two parts, |r| ≤ ln 2 / 2; k ≥ −185, so 2^k is a normal double.
        TD r = ReduceByLn2<TD, TOps>(TOps.Max(x, TOps.Create(-128.0)), out TD k);
        // Taylor to r¹⁰: the first omitted term, r¹¹/11!, is below 2.2e-13 for |r| ≤ 0.347.
        TD p = TOps.Create(1.0 / 3628800.0);
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 362880.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 40320.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 5040.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 720.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 120.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 24.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(1.0 / 6.0));
        p = TOps.MultiplyAdd(p, r, TOps.Create(0.5));
        p = TOps.MultiplyAdd(p, r, TOps.One);
        p = TOps.MultiplyAdd(p, r, TOps.One);
        return TOps.Select(TOps.IsNaN(x), x, TOps.Multiply(p, TOps.PowerOfTwo(k)));
    }

    // Rounds to the nearest integer, ties to even, for |x| < 2^51: adding 1.5·2^52 leaves no bits below the unit.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD RoundToInteger<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
        => TOps.Subtract(TOps.Add(x, TOps.Create(Simd.Magic)), TOps.Create(Simd.Magic));

    /// <summary>e^x − 1 lane by lane with full relative precision near 0 (within a few ulp of <see cref="ExpM1(double)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD ExpM1<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // |x| < ln 2 / 2: the Taylor series x + x²/2! + … + x¹⁴/14! (the next term is below 1e-19·|x|), which keeps
        // every digit of a tiny x. Elsewhere e^x − 1 from Exp: |e^x − 1| ≥ 0.29 there, so the subtraction cancels at
        // most about one bit.
        TD p = TOps.Create(1.0 / 87178291200.0);
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 6227020800.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 479001600.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 39916800.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 3628800.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 362880.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 40320.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 5040.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 720.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 120.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 24.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(1.0 / 6.0));
        p = TOps.MultiplyAdd(p, x, TOps.Create(0.5));
        TD small = TOps.MultiplyAdd(TOps.Multiply(p, x), x, x); // x + x²·(1/2 + x/6 + …)
        TD large = TOps.Subtract(Exp<TD, TOps>(x), TOps.One);
        return TOps.Select(TOps.LessThan(TOps.Abs(x), TOps.Create(0.34657359027997264)), small, large);
    }

    /// <summary>tanh x lane by lane, within a few ulp of Math.Tanh (±0, ±∞ → ±1 and NaN as Math.Tanh).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD Tanh<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // tanh|x| = −t / (2 + t) with t = e^(−2|x|) − 1 ∈ [−1, 0]: no cancellation for small |x| (t ≈ −2|x| is exact to
        // rounding), and for large |x| t → −1 gives 1. The sign of x is copied back at the end (so −0 stays −0).
        TD t = ExpM1<TD, TOps>(TOps.Multiply(TOps.Create(-2.0), TOps.Abs(x)));
        TD magnitude = TOps.Divide(TOps.Negate(t), TOps.Add(TOps.Create(2.0), t));
        TD signBit = TOps.And(x, TOps.Create(-0.0));
        return TOps.Select(TOps.IsNaN(x), x, TOps.Or(magnitude, signBit));
    }

    /// <summary>log x lane by lane for positive, normal, finite x (within about 1 ulp of Math.Log); other inputs give
    /// finite garbage, which the callers select away.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD Log<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // x = m·2^e with m in [√½, √2); log m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …) with s = (m − 1)/(m + 1),
        // |s| ≤ 0.1716, so s² ≤ 0.0295 and the series to s²³ leaves less than 1e-18 relative. e·ln 2 is added in two
        // parts (Cody and Waite), the high one exact.
        TD e = TOps.Exponent(x), m = TOps.Significand(x);
        TD big = TOps.GreaterThan(m, TOps.Create(1.4142135623730951));
        m = TOps.Select(big, TOps.Multiply(m, TOps.Create(0.5)), m);
        e = TOps.Select(big, TOps.Add(e, TOps.One), e);
        TD s = TOps.Divide(TOps.Subtract(m, TOps.One), TOps.Add(m, TOps.One));
        TD s2 = TOps.Multiply(s, s);
        TD p = TOps.Create(1.0 / 23);
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 21));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 19));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 17));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 15));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 13));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 11));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 9));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 7));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 5));
        p = TOps.MultiplyAdd(p, s2, TOps.Create(1.0 / 3));
        // log m = 2s + 2s·s²·p, the small correction added last.
        TD twoS = TOps.Add(s, s);
        TD logM = TOps.MultiplyAdd(TOps.Multiply(twoS, s2), p, twoS);
        TD low = TOps.MultiplyAdd(e, TOps.Create(1.90821492927058770002e-10), logM);
        return TOps.MultiplyAdd(e, TOps.Create(6.93147180369123816490e-01), low);
    }

    /// <summary>log(1 + x) lane by lane for x ≥ 0 (finite), accurate for tiny x (see <see cref="Log1P(double)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD Log1P<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // Kahan's trick, as the scalar: log(u)·x/(u − 1) cancels the rounding made in forming u = 1 + x; where u
        // rounds to 1, log1p(x) = x to rounding.
        TD u = TOps.Add(TOps.One, x);
        TD uMinus1 = TOps.Subtract(u, TOps.One);
        TD corrected = TOps.Multiply(Log<TD, TOps>(u), TOps.Divide(x, uMinus1));
        return TOps.Select(TOps.GreaterThan(uMinus1, TOps.Zero), corrected, x);
    }

    /// <summary>erf x lane by lane (Cody's three ranges, as <see cref="Erf(double)"/>; within a few ulp of it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TD Erf<TD, TOps>(TD x) where TD : unmanaged where TOps : ISimd<TD, double>
    {
        // Every lane evaluates the three rational approximations and keeps the one for its range.
        TD y = TOps.Min(TOps.Abs(x), TOps.Create(6.0));
        // |x| ≤ 0.5: x · P(x²)/Q(x²).
        TD ysq = TOps.Multiply(y, y);
        TD num = TOps.Multiply(TOps.Create(ErfA[4]), ysq), den = ysq;
        for (int i = 0; i < 3; i++)
        {
            num = TOps.Multiply(TOps.Add(num, TOps.Create(ErfA[i])), ysq);
            den = TOps.Multiply(TOps.Add(den, TOps.Create(ErfB[i])), ysq);
        }
        TD small = TOps.Divide(TOps.Multiply(y, TOps.Add(num, TOps.Create(ErfA[3]))), TOps.Add(den, TOps.Create(ErfB[3])));
        // 0.5 < y ≤ 4: erfc(y) = e^(−y²) · P(y)/Q(y).
        num = TOps.Multiply(TOps.Create(ErfC[8]), y);
        den = y;
        for (int i = 0; i < 7; i++)
        {
            num = TOps.Multiply(TOps.Add(num, TOps.Create(ErfC[i])), y);
            den = TOps.Multiply(TOps.Add(den, TOps.Create(ErfD[i])), y);
        }
        TD middle = TOps.Divide(TOps.Add(num, TOps.Create(ErfC[7])), TOps.Add(den, TOps.Create(ErfD[7])));
        // y > 4: erfc(y) = e^(−y²)/y · (1/√π + 1/y² · P(1/y²)/Q(1/y²)).
        TD inv = TOps.Divide(TOps.One, ysq);
        num = TOps.Multiply(TOps.Create(ErfP[5]), inv);
        den = inv;
        for (int i = 0; i < 4; i++)
        {
            num = TOps.Multiply(TOps.Add(num, TOps.Create(ErfP[i])), inv);
            den = TOps.Multiply(TOps.Add(den, TOps.Create(ErfQ[i])), inv);
        }
        TD tail = TOps.Divide(TOps.Multiply(inv, TOps.Add(num, TOps.Create(ErfP[4]))), TOps.Add(den, TOps.Create(ErfQ[4])));
        tail = TOps.Divide(TOps.Subtract(TOps.Create(OneOverSqrtPi), tail), y);
        TD rational = TOps.Select(TOps.GreaterThan(y, TOps.Create(4.0)), tail, middle);
        // e^(−y²) as e^(−s²)·e^(−(y−s)(y+s)) with s = y rounded down to 1/16 (Cody's trick, as the scalar).
        TD s = TOps.Multiply(TOps.Floor(TOps.Multiply(y, TOps.Create(16.0))), TOps.Create(1.0 / 16));
        TD del = TOps.Multiply(TOps.Subtract(y, s), TOps.Add(y, s));
        TD erfc = TOps.Multiply(TOps.Multiply(Exp<TD, TOps>(TOps.Negate(TOps.Multiply(s, s))), Exp<TD, TOps>(TOps.Negate(del))), rational);
        TD large = TOps.Add(TOps.Subtract(TOps.Create(0.5), erfc), TOps.Create(0.5));
        large = TOps.Select(TOps.GreaterThanOrEqual(y, TOps.Create(6.0)), TOps.One, large);
        TD magnitude = TOps.Select(TOps.GreaterThan(y, TOps.Create(0.5)), large, small);
        TD signBit = TOps.And(x, TOps.Create(-0.0));
        return TOps.Select(TOps.IsNaN(x), x, TOps.Or(magnitude, signBit));
    }
}
