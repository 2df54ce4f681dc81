using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GradGen.Curvature;

namespace GradGen.Kernels;

/// <summary>An element-wise nonlinearity a = f(z) and its derivative, for float and double alike: generic methods, so
/// that code generic over T (the generated layers, the kernels) can call them on a struct type argument, which the JIT
/// specialises and inlines for each T.</summary>
public interface IActivation
{
    /// <summary>a = f(z).</summary>
    T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dA/dZ at z, given a = Forward(z) (each activation uses whichever of the two is cheaper and exact).</summary>
    T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Float overloads of the activations compute in double and round once; double ones compute directly.
/// A <see cref="Dual"/> argument computes its value in double the same way and carries its tangent by the chain rule
/// (<see cref="Chain{T}"/>), with the derivative the activation already has for its backward pass; where that
/// derivative is itself computed in double, its own tangent needs the second derivative, which sits beside it.</summary>
internal static class InDouble
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Widen<T>(T value) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Round<T>(double value) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(value);

    /// <summary>For T = <see cref="Dual"/> only: f(z) as a dual number, from f(z.Value) = <paramref name="value"/> and
    /// f′(z.Value) = <paramref name="derivative"/>. Callers test typeof(T) == typeof(Dual) first, which the JIT folds, so
    /// float and double never compute the derivative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Chain<T>(T z, double value, double derivative) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Dual result = Dual.Chain(Unsafe.As<T, Dual>(ref z), value, derivative);
        return Unsafe.As<Dual, T>(ref result);
    }
}

/// <summary>The vector form of an activation, which the kernels use at every width: the same formulas as the scalar
/// members, lane by lane. Piecewise-linear activations give the scalar results bit for bit; the others compute in double
/// through the vector e^x, log, tanh and erf of <see cref="SpecialFunctions"/> (within a few ulp of Math's) and round once.</summary>
internal interface IVectorActivation
{
    TVec Forward<T, TVec, TOps>(TVec z) where T : unmanaged where TVec : unmanaged where TOps : ISimd<TVec, T>;

    TVec Derivative<T, TVec, TOps>(TVec z, TVec a) where T : unmanaged where TVec : unmanaged where TOps : ISimd<TVec, T>;
}

// Every activation below follows PyTorch's CPU kernels formula for formula (ATen/native/cpu/Activation.cpp and
// UnaryOpsKernel.cpp), so that float64 results agree with PyTorch to rounding. The float overloads compute in double
// and round once. Each has its scalar members (the reference) and its vector members (IVectorActivation) side by side.

/// <summary>f(z) = z.</summary>
public readonly struct Identity : IActivation, IVectorActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z;
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => T.One;
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => z;
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.One;
}

/// <summary>f(z) = 1 / (1 + e^−z); f' = a(1 − a).</summary>
public readonly struct Sigmoid : IActivation, IVectorActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double a = Forward(InDouble.Widen(z));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, a * (1 - a)) : InDouble.Round<T>(a);
    }
    private static double Forward(double z)
    {
        // Only e^−|z| is ever formed, so it never overflows and 1 + e stays in [1, 2]: stable for any |z|.
        if (z >= 0) return 1.0 / (1.0 + Math.Exp(-z));
        double e = Math.Exp(z);
        return e / (1.0 + e);
    }
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => a * (T.One - a);

    // The vector members run the scalar formula lane by lane; SpecialFunctions.Exp is within 1 ulp of Math.Exp, so
    // the results agree with the scalar ones to rounding. Floats go through double and round once, like the scalars,
    // with a shorter e^x whose 3e-13 error is far below a float's rounding (a sigmoid layer's cost is its exps).
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z)
        => typeof(T) == typeof(float) ? TOps.ApplyInDouble(z, default(FloatFormula)) : TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.Multiply(a, TOps.Subtract(TOps.One, a));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
            => Quotient<TD, TOps>(z, SpecialFunctions.Exp<TD, TOps>(TOps.Negate(TOps.Abs(z))));
    }

    private readonly struct FloatFormula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
            => Quotient<TD, TOps>(z, SpecialFunctions.ExpNonPositiveForFloat<TD, TOps>(TOps.Negate(TOps.Abs(z))));
    }

    // As the scalar, from e = e^−|z|: 1/(1 + e) where z ≥ 0, e/(1 + e) elsewhere (and for NaN), as one division of
    // the chosen numerator.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TD Quotient<TD, TOps>(TD z, TD e) where TD : unmanaged where TOps : ISimd<TD, double>
        => TOps.Divide(TOps.Select(TOps.GreaterThanOrEqual(z, TOps.Zero), TOps.One, e), TOps.Add(TOps.One, e));
}

/// <summary>f(z) = tanh z; f' = 1 − a².</summary>
public readonly struct Tanh : IActivation, IVectorActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double a = Math.Tanh(InDouble.Widen(z));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, 1 - a * a) : InDouble.Round<T>(a);
    }
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => T.One - a * a;

    // Vector members: tanh in double (see Sigmoid and SpecialFunctions.Tanh); the derivative is the same formula in a.
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.Subtract(TOps.One, TOps.Multiply(a, a));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double> => SpecialFunctions.Tanh<TD, TOps>(z);
    }
}

/// <summary>f(z) = max(0, z); f'(0) = 0 as in PyTorch. NaN propagates, as torch.relu does.</summary>
public readonly struct ReLU : IActivation, IVectorActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z < T.Zero ? T.Zero : z;
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? T.One : T.Zero;
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.Select(TOps.LessThan(z, TOps.Zero), TOps.Zero, z);
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.And(TOps.GreaterThan(z, TOps.Zero), TOps.One);
}

/// <summary>f(z) = z for z &gt; 0, slope·z otherwise; f'(0) = slope as in PyTorch.</summary>
public readonly struct LeakyReLU : IActivation, IVectorActivation
{
    /// <summary>The slope for z ≤ 0 (PyTorch's negative_slope, default 0.01).</summary>
    public double Slope { get; }

    public LeakyReLU(double slope) => Slope = slope;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? z : z * T.CreateTruncating(Slope);
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? T.One : T.CreateTruncating(Slope);
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z)
        => TOps.Select(TOps.GreaterThan(z, TOps.Zero), z, TOps.Multiply(z, TOps.Create(SlopeAs<T>())));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a)
        => TOps.Select(TOps.GreaterThan(z, TOps.Zero), TOps.One, TOps.Create(SlopeAs<T>()));
    // The slope rounded to T, as T.CreateTruncating(Slope) in the scalar members (T is float or double here).
    private T SlopeAs<T>() where T : unmanaged => typeof(T) == typeof(float) ? (T)(object)(float)Slope : (T)(object)Slope;
}

/// <summary>Exact GELU: f(z) = ½z(1 + erf(z/√2)); f' = Φ(z) + z·φ(z).</summary>
public readonly struct GELU : IActivation, IVectorActivation
{
    private const double Sqrt1Over2 = 0.70710678118654752440;
    private const double OneOverSqrt2Pi = 0.39894228040143267794;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), a = Forward(x);
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, Derivative(x, a)) : InDouble.Round<T>(a);
    }
    // PyTorch's formula exactly (x·0.5·(1 + erf(x/√2))), not the erfc form, so that we round as it does.
    private double Forward(double z) => z * 0.5 * (1.0 + SpecialFunctions.Erf(z * Sqrt1Over2));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), d = Derivative(x, InDouble.Widen(a));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, d, SecondDerivative(x)) : InDouble.Round<T>(d);
    }
    private double Derivative(double z, double a)
    {
        double cdf = 0.5 * (1.0 + SpecialFunctions.Erf(z * Sqrt1Over2));
        double pdf = Math.Exp(-0.5 * z * z) * OneOverSqrt2Pi;
        return cdf + z * pdf;
    }
    // f″ = 2φ(z) + z·φ′(z) = φ(z)(2 − z²), since φ′(z) = −z·φ(z). Only dual numbers need it.
    private static double SecondDerivative(double z) => Math.Exp(-0.5 * z * z) * OneOverSqrt2Pi * (2.0 - z * z);

    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.ApplyInDouble(z, default(DerivativeFormula));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD erf = SpecialFunctions.Erf<TD, TOps>(TOps.Multiply(z, TOps.Create(Sqrt1Over2)));
            return TOps.Multiply(TOps.Multiply(z, TOps.Create(0.5)), TOps.Add(TOps.One, erf));
        }
    }

    private readonly struct DerivativeFormula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD cdf = TOps.Multiply(TOps.Create(0.5), TOps.Add(TOps.One, SpecialFunctions.Erf<TD, TOps>(TOps.Multiply(z, TOps.Create(Sqrt1Over2)))));
            TD pdf = TOps.Multiply(SpecialFunctions.Exp<TD, TOps>(TOps.Multiply(TOps.Multiply(TOps.Create(-0.5), z), z)), TOps.Create(OneOverSqrt2Pi));
            return TOps.Add(cdf, TOps.Multiply(z, pdf));
        }
    }
}

/// <summary>PyTorch's GELU(approximate='tanh'): f(z) = ½z(1 + tanh(√(2/π)(z + 0.044715z³))).</summary>
public readonly struct GELUTanh : IActivation, IVectorActivation
{
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double Kappa = 0.044715;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), a = Forward(x);
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, Derivative(x, a)) : InDouble.Round<T>(a);
    }
    private double Forward(double z)
    {
        double inner = SqrtTwoOverPi * (z + Kappa * z * z * z);
        return 0.5 * z * (1.0 + Math.Tanh(inner));
    }
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), d = Derivative(x, InDouble.Widen(a));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, d, SecondDerivative(x)) : InDouble.Round<T>(d);
    }
    private double Derivative(double z, double a)
    {
        // PyTorch's GeluBackward (tanh): d/dz[½z]·(1 + t) + ½z·(1 − t²)·d(inner)/dz.
        double zSq = z * z;
        double t = Math.Tanh(SqrtTwoOverPi * (z + Kappa * zSq * z));
        double left = 0.5 * z;
        double right = 1.0 + t;
        double leftDerivative = 0.5 * right;
        double rightDerivative = left * (1.0 - t * t) * SqrtTwoOverPi * (1.0 + 3.0 * Kappa * zSq);
        return leftDerivative + rightDerivative;
    }
    // With u = √(2/π)(z + κz³) and t = tanh u: f′ = ½(1 + t) + ½z(1 − t²)u′, so
    // f″ = (1 − t²)·[u′ + ½z(u″ − 2t·u′²)], u′ = √(2/π)(1 + 3κz²), u″ = 6√(2/π)κz. Only dual numbers need it.
    private static double SecondDerivative(double z)
    {
        double t = Math.Tanh(SqrtTwoOverPi * (z + Kappa * z * z * z));
        double u1 = SqrtTwoOverPi * (1.0 + 3.0 * Kappa * z * z), u2 = 6.0 * SqrtTwoOverPi * Kappa * z;
        return (1.0 - t * t) * (u1 + 0.5 * z * (u2 - 2.0 * t * u1 * u1));
    }

    // Vector members: the same formulas in the same order. Where 1 + tanh cancels (z ≪ 0) the result inherits the
    // vector tanh's few-ulp difference from Math.Tanh in absolute terms, as PyTorch's own vectorised tanh does.
    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.ApplyInDouble(z, default(DerivativeFormula));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD cube = TOps.Multiply(TOps.Multiply(TOps.Multiply(TOps.Create(Kappa), z), z), z);
            TD t = SpecialFunctions.Tanh<TD, TOps>(TOps.Multiply(TOps.Create(SqrtTwoOverPi), TOps.Add(z, cube)));
            return TOps.Multiply(TOps.Multiply(TOps.Create(0.5), z), TOps.Add(TOps.One, t));
        }
    }

    private readonly struct DerivativeFormula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD zSq = TOps.Multiply(z, z);
            TD cube = TOps.Multiply(TOps.Multiply(TOps.Create(Kappa), zSq), z);
            TD t = SpecialFunctions.Tanh<TD, TOps>(TOps.Multiply(TOps.Create(SqrtTwoOverPi), TOps.Add(z, cube)));
            TD left = TOps.Multiply(TOps.Create(0.5), z);
            TD leftDerivative = TOps.Multiply(TOps.Create(0.5), TOps.Add(TOps.One, t));
            TD inner = TOps.Add(TOps.One, TOps.Multiply(TOps.Create(3.0 * Kappa), zSq));
            TD rightDerivative = TOps.Multiply(TOps.Multiply(TOps.Multiply(left, TOps.Subtract(TOps.One, TOps.Multiply(t, t))), TOps.Create(SqrtTwoOverPi)), inner);
            return TOps.Add(leftDerivative, rightDerivative);
        }
    }
}

/// <summary>SiLU (Swish): f(z) = z·σ(z); f' = σ(z)(1 + z(1 − σ(z))).</summary>
public readonly struct SiLU : IActivation, IVectorActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), a = Forward(x);
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, Derivative(x, a)) : InDouble.Round<T>(a);
    }
    // PyTorch's x / (1 + e^−x): for very negative x, e^−x overflows to +∞ and the quotient is −0, the right limit.
    private double Forward(double z) => z / (1.0 + Math.Exp(-z));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), d = Derivative(x, InDouble.Widen(a));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, d, SecondDerivative(x)) : InDouble.Round<T>(d);
    }
    private double Derivative(double z, double a)
    {
        double s = 1.0 / (1.0 + Math.Exp(-z));
        return s * (1.0 + z * (1.0 - s));
    }
    // f′ = s + z·s(1 − s) with s′ = s(1 − s), so f″ = s(1 − s)(2 + z(1 − 2s)). Only dual numbers need it.
    private static double SecondDerivative(double z)
    {
        double s = 1.0 / (1.0 + Math.Exp(-z));
        return s * (1.0 - s) * (2.0 + z * (1.0 - 2.0 * s));
    }

    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.ApplyInDouble(z, default(DerivativeFormula));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
            => TOps.Divide(z, TOps.Add(TOps.One, SpecialFunctions.Exp<TD, TOps>(TOps.Negate(z))));
    }

    private readonly struct DerivativeFormula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD s = TOps.Divide(TOps.One, TOps.Add(TOps.One, SpecialFunctions.Exp<TD, TOps>(TOps.Negate(z))));
            return TOps.Multiply(s, TOps.Add(TOps.One, TOps.Multiply(z, TOps.Subtract(TOps.One, s))));
        }
    }
}

/// <summary>Softplus with beta 1 and PyTorch's threshold 20: f(z) = log(1 + e^z), or z when z &gt; 20; f' = σ(z).</summary>
public readonly struct Softplus : IActivation, IVectorActivation
{
    private const double Threshold = 20.0;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), a = Forward(x);
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, Derivative(x, a)) : InDouble.Round<T>(a);
    }
    // Above the threshold log(1 + e^z) = z to within e^−20 ≈ 2e-9 relative; PyTorch switches to the identity there.
    // log1p keeps full precision when e^z is tiny (z very negative).
    private double Forward(double z) => z > Threshold ? z : SpecialFunctions.Log1P(Math.Exp(z));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), d = Derivative(x, InDouble.Widen(a));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, d, SecondDerivative(x)) : InDouble.Round<T>(d);
    }
    private double Derivative(double z, double a)
    {
        if (z > Threshold) return 1.0;
        double e = Math.Exp(z);
        return e / (e + 1.0);
    }
    // f′ = σ(z) below the threshold, so f″ = σ(1 − σ); above it f is the identity and f″ = 0. Only dual numbers need it.
    private static double SecondDerivative(double z)
    {
        if (z > Threshold) return 0.0;
        double e = Math.Exp(z), s = e / (e + 1.0);
        return s * (1.0 - s);
    }

    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, default(Formula));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.ApplyInDouble(z, default(DerivativeFormula));

    private readonly struct Formula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            // Lanes above the threshold compute log1p of up to +∞ (finite garbage) and are selected away.
            TD soft = SpecialFunctions.Log1P<TD, TOps>(SpecialFunctions.Exp<TD, TOps>(z));
            return TOps.Select(TOps.GreaterThan(z, TOps.Create(Threshold)), z, soft);
        }
    }

    private readonly struct DerivativeFormula : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
        {
            TD e = SpecialFunctions.Exp<TD, TOps>(z);
            return TOps.Select(TOps.GreaterThan(z, TOps.Create(Threshold)), TOps.One, TOps.Divide(e, TOps.Add(e, TOps.One)));
        }
    }
}

/// <summary>ELU: f(z) = z for z &gt; 0, alpha·(e^z − 1) otherwise; f' = 1 or alpha·e^z.</summary>
public readonly struct ELU : IActivation, IVectorActivation
{
    /// <summary>The saturation value for z → −∞ is −alpha (PyTorch default 1).</summary>
    public double Alpha { get; }

    public ELU(double alpha) => Alpha = alpha;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), a = Forward(x);
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, a, Derivative(x, a)) : InDouble.Round<T>(a);
    }
    // expm1 keeps full relative precision for small negative z, where e^z − 1 cancels.
    private double Forward(double z) => z > 0.0 ? z : Alpha * SpecialFunctions.ExpM1(z);
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double x = InDouble.Widen(z), d = Derivative(x, InDouble.Widen(a));
        return typeof(T) == typeof(Dual) ? InDouble.Chain(z, d, SecondDerivative(x)) : InDouble.Round<T>(d);
    }
    // PyTorch's elu_backward with is_result = false (what nn.ELU() uses): alpha·e^z for z ≤ 0, equal to a + alpha
    // but without its cancellation.
    private double Derivative(double z, double a) => z > 0.0 ? 1.0 : Alpha * Math.Exp(z);
    // Only dual numbers need it.
    private double SecondDerivative(double z) => z > 0.0 ? 0.0 : Alpha * Math.Exp(z);

    TVec IVectorActivation.Forward<T, TVec, TOps>(TVec z) => TOps.ApplyInDouble(z, new Formula(Alpha));
    TVec IVectorActivation.Derivative<T, TVec, TOps>(TVec z, TVec a) => TOps.ApplyInDouble(z, new DerivativeFormula(Alpha));

    private readonly struct Formula(double alpha) : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
            => TOps.Select(TOps.GreaterThan(z, TOps.Zero), z, TOps.Multiply(TOps.Create(alpha), SpecialFunctions.ExpM1<TD, TOps>(z)));
    }

    private readonly struct DerivativeFormula(double alpha) : IDoubleFormula
    {
        public TD Apply<TD, TOps>(TD z) where TD : unmanaged where TOps : ISimd<TD, double>
            => TOps.Select(TOps.GreaterThan(z, TOps.Zero), TOps.One, TOps.Multiply(TOps.Create(alpha), SpecialFunctions.Exp<TD, TOps>(z)));
    }
}
