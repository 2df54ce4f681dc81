using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

/// <summary>Float overloads of the activations compute in double and round once; double ones compute directly.</summary>
internal static class InDouble
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Widen<T>(T value) where T : unmanaged, IFloatingPointIeee754<T> => double.CreateTruncating(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Round<T>(double value) where T : unmanaged, IFloatingPointIeee754<T> => T.CreateTruncating(value);
}

// Every activation below follows PyTorch's CPU kernels formula for formula (ATen/native/cpu/Activation.cpp and
// UnaryOpsKernel.cpp), so that float64 results agree with PyTorch to rounding. The float overloads compute in double
// and round once. The piecewise-linear ones, and Sigmoid, SiLU and Tanh (through the vector e^x and tanh in
// SpecialFunctions, a few ulp from Math's), also have Vector512 members, which the kernels use (see VectorActivation).
// GELU (erf), GELUTanh (1 + tanh cancels for very negative z), Softplus and ELU stay scalar.

/// <summary>f(z) = z.</summary>
public readonly struct Identity : IActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z;
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => T.One;
    public Vector512<T> Forward<T>(Vector512<T> z) => z;
    public Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) => Vector512<T>.One;
}

/// <summary>f(z) = 1 / (1 + e^−z); f' = a(1 − a).</summary>
public readonly struct Sigmoid : IActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    private static double Forward(double z)
    {
        // Only e^−|z| is ever formed, so it never overflows and 1 + e stays in [1, 2]: stable for any |z|.
        if (z >= 0) return 1.0 / (1.0 + Math.Exp(-z));
        double e = Math.Exp(z);
        return e / (1.0 + e);
    }
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => a * (T.One - a);

    // The vector members run the scalar formula lane by lane; SpecialFunctions.Exp is within 1 ulp of Math.Exp, so
    // the results agree with the scalar ones to rounding. Floats go through double and round once, like the scalars.
    internal Vector512<T> Forward<T>(Vector512<T> z) => VectorInDouble.Apply<T, SigmoidFormula>(z);
    internal Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) where T : INumberBase<T> => a * (Vector512<T>.One - a);

    private readonly struct SigmoidFormula : IVectorFormula
    {
        public Vector512<double> Apply(Vector512<double> z)
        {
            // As the scalar: only e^−|z| is formed; 1/(1 + e) where z ≥ 0, e/(1 + e) elsewhere (and for NaN).
            Vector512<double> e = SpecialFunctions.Exp(-Vector512.Abs(z));
            Vector512<double> onePlusE = Vector512<double>.One + e;
            return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<double>.Zero), Vector512<double>.One / onePlusE, e / onePlusE);
        }
    }
}

/// <summary>f(z) = tanh z; f' = 1 − a².</summary>
public readonly struct Tanh : IActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Math.Tanh(InDouble.Widen(z)));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => T.One - a * a;

    // Vector members: tanh in double (see Sigmoid and SpecialFunctions.Tanh); the derivative is the same formula in a.
    internal Vector512<T> Forward<T>(Vector512<T> z) => VectorInDouble.Apply<T, TanhFormula>(z);
    internal Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) where T : INumberBase<T> => Vector512<T>.One - a * a;

    private readonly struct TanhFormula : IVectorFormula
    {
        public Vector512<double> Apply(Vector512<double> z) => SpecialFunctions.Tanh(z);
    }
}

/// <summary>f(z) = max(0, z); f'(0) = 0 as in PyTorch. NaN propagates, as torch.relu does.</summary>
public readonly struct ReLU : IActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z < T.Zero ? T.Zero : z;
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? T.One : T.Zero;
    public Vector512<T> Forward<T>(Vector512<T> z) => Vector512.ConditionalSelect(Vector512.LessThan(z, Vector512<T>.Zero), Vector512<T>.Zero, z);
    public Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) => Vector512.GreaterThan(z, Vector512<T>.Zero) & Vector512<T>.One;
}

/// <summary>f(z) = z for z &gt; 0, slope·z otherwise; f'(0) = slope as in PyTorch.</summary>
public readonly struct LeakyReLU : IActivation
{
    /// <summary>The slope for z ≤ 0 (PyTorch's negative_slope, default 0.01).</summary>
    public double Slope { get; }

    public LeakyReLU(double slope) => Slope = slope;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? z : z * T.CreateTruncating(Slope);
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => z > T.Zero ? T.One : T.CreateTruncating(Slope);
    public Vector512<T> Forward<T>(Vector512<T> z) where T : INumberBase<T>
        => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<T>.Zero), z, z * Vector512.Create(T.CreateTruncating(Slope)));
    public Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) where T : INumberBase<T>
        => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<T>.Zero), Vector512<T>.One, Vector512.Create(T.CreateTruncating(Slope)));
}

/// <summary>Exact GELU: f(z) = ½z(1 + erf(z/√2)); f' = Φ(z) + z·φ(z).</summary>
public readonly struct GELU : IActivation
{
    private const double Sqrt1Over2 = 0.70710678118654752440;
    private const double OneOverSqrt2Pi = 0.39894228040143267794;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    // PyTorch's formula exactly (x·0.5·(1 + erf(x/√2))), not the erfc form, so that we round as it does.
    private double Forward(double z) => z * 0.5 * (1.0 + SpecialFunctions.Erf(z * Sqrt1Over2));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Derivative(InDouble.Widen(z), InDouble.Widen(a)));
    private double Derivative(double z, double a)
    {
        double cdf = 0.5 * (1.0 + SpecialFunctions.Erf(z * Sqrt1Over2));
        double pdf = Math.Exp(-0.5 * z * z) * OneOverSqrt2Pi;
        return cdf + z * pdf;
    }
}

/// <summary>PyTorch's GELU(approximate='tanh'): f(z) = ½z(1 + tanh(√(2/π)(z + 0.044715z³))).</summary>
public readonly struct GELUTanh : IActivation
{
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double Kappa = 0.044715;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    private double Forward(double z)
    {
        double inner = SqrtTwoOverPi * (z + Kappa * z * z * z);
        return 0.5 * z * (1.0 + Math.Tanh(inner));
    }
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Derivative(InDouble.Widen(z), InDouble.Widen(a)));
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
}

/// <summary>SiLU (Swish): f(z) = z·σ(z); f' = σ(z)(1 + z(1 − σ(z))).</summary>
public readonly struct SiLU : IActivation
{
    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    // PyTorch's x / (1 + e^−x): for very negative x, e^−x overflows to +∞ and the quotient is −0, the right limit.
    private double Forward(double z) => z / (1.0 + Math.Exp(-z));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Derivative(InDouble.Widen(z), InDouble.Widen(a)));
    private double Derivative(double z, double a)
    {
        double s = 1.0 / (1.0 + Math.Exp(-z));
        return s * (1.0 + z * (1.0 - s));
    }

    // Vector members: the scalar formulas lane by lane, in double (see Sigmoid).
    internal Vector512<T> Forward<T>(Vector512<T> z) => VectorInDouble.Apply<T, SiLUFormula>(z);
    internal Vector512<T> Derivative<T>(Vector512<T> z, Vector512<T> a) => VectorInDouble.Apply<T, SiLUDerivativeFormula>(z);

    private readonly struct SiLUFormula : IVectorFormula
    {
        public Vector512<double> Apply(Vector512<double> z) => z / (Vector512<double>.One + SpecialFunctions.Exp(-z));
    }

    private readonly struct SiLUDerivativeFormula : IVectorFormula
    {
        public Vector512<double> Apply(Vector512<double> z)
        {
            Vector512<double> s = Vector512<double>.One / (Vector512<double>.One + SpecialFunctions.Exp(-z));
            return s * (Vector512<double>.One + z * (Vector512<double>.One - s));
        }
    }
}

/// <summary>Softplus with beta 1 and PyTorch's threshold 20: f(z) = log(1 + e^z), or z when z &gt; 20; f' = σ(z).</summary>
public readonly struct Softplus : IActivation
{
    private const double Threshold = 20.0;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    // Above the threshold log(1 + e^z) = z to within e^−20 ≈ 2e-9 relative; PyTorch switches to the identity there.
    // log1p keeps full precision when e^z is tiny (z very negative).
    private double Forward(double z) => z > Threshold ? z : SpecialFunctions.Log1P(Math.Exp(z));
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Derivative(InDouble.Widen(z), InDouble.Widen(a)));
    private double Derivative(double z, double a)
    {
        if (z > Threshold) return 1.0;
        double e = Math.Exp(z);
        return e / (e + 1.0);
    }
}

/// <summary>ELU: f(z) = z for z &gt; 0, alpha·(e^z − 1) otherwise; f' = 1 or alpha·e^z.</summary>
public readonly struct ELU : IActivation
{
    /// <summary>The saturation value for z → −∞ is −alpha (PyTorch default 1).</summary>
    public double Alpha { get; }

    public ELU(double alpha) => Alpha = alpha;

    public T Forward<T>(T z) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Forward(InDouble.Widen(z)));
    // expm1 keeps full relative precision for small negative z, where e^z − 1 cancels.
    private double Forward(double z) => z > 0.0 ? z : Alpha * SpecialFunctions.ExpM1(z);
    public T Derivative<T>(T z, T a) where T : unmanaged, IFloatingPointIeee754<T> => InDouble.Round<T>(Derivative(InDouble.Widen(z), InDouble.Widen(a)));
    // PyTorch's elu_backward with is_result = false (what nn.ELU() uses): alpha·e^z for z ≤ 0, equal to a + alpha
    // but without its cancellation.
    private double Derivative(double z, double a) => z > 0.0 ? 1.0 : Alpha * Math.Exp(z);
}

/// <summary>Static dispatch from an activation type to its Vector512 members, for the activations that have them.
/// The typeof tests are JIT-time constants for struct type arguments, so each kernel instantiation keeps one branch.</summary>
internal static class VectorActivation
{
    /// <summary>TAct has vector members whose results agree with its scalar members to rounding (Sigmoid and SiLU
    /// use SpecialFunctions.Exp and Tanh, which can differ from Math's in the last bits). The Dense kernels, whose products already
    /// round differently from the reference, use these.</summary>
    public static bool IsSupported<T, TAct>()
        => IsBitExact<T, TAct>() || (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported
                                     && (typeof(TAct) == typeof(Sigmoid) || typeof(TAct) == typeof(SiLU) || typeof(TAct) == typeof(Tanh)));

    /// <summary>TAct has vector members whose results equal its scalar members bit for bit (the piecewise-linear ones).
    /// The element-wise kernels, which promise results identical to their scalar path, use only these.</summary>
    public static bool IsBitExact<T, TAct>()
        => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported
           && (typeof(TAct) == typeof(Identity) || typeof(TAct) == typeof(ReLU) || typeof(TAct) == typeof(LeakyReLU));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Forward<T, TAct>(ref TAct act, Vector512<T> z) where T : INumberBase<T>
    {
        if (typeof(TAct) == typeof(Identity)) return z;
        if (typeof(TAct) == typeof(ReLU)) return Unsafe.As<TAct, ReLU>(ref act).Forward(z);
        if (typeof(TAct) == typeof(LeakyReLU)) return Unsafe.As<TAct, LeakyReLU>(ref act).Forward(z);
        if (typeof(TAct) == typeof(Sigmoid)) return Unsafe.As<TAct, Sigmoid>(ref act).Forward(z);
        if (typeof(TAct) == typeof(SiLU)) return Unsafe.As<TAct, SiLU>(ref act).Forward(z);
        if (typeof(TAct) == typeof(Tanh)) return Unsafe.As<TAct, Tanh>(ref act).Forward(z);
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Derivative<T, TAct>(ref TAct act, Vector512<T> z, Vector512<T> a) where T : INumberBase<T>
    {
        if (typeof(TAct) == typeof(Identity)) return Vector512<T>.One;
        if (typeof(TAct) == typeof(ReLU)) return Unsafe.As<TAct, ReLU>(ref act).Derivative(z, a);
        if (typeof(TAct) == typeof(LeakyReLU)) return Unsafe.As<TAct, LeakyReLU>(ref act).Derivative(z, a);
        if (typeof(TAct) == typeof(Sigmoid)) return Unsafe.As<TAct, Sigmoid>(ref act).Derivative(z, a);
        if (typeof(TAct) == typeof(SiLU)) return Unsafe.As<TAct, SiLU>(ref act).Derivative(z, a);
        if (typeof(TAct) == typeof(Tanh)) return Unsafe.As<TAct, Tanh>(ref act).Derivative(z, a);
        throw new NotSupportedException();
    }
}

/// <summary>A double-precision vector formula, passed as a struct type argument so that the JIT inlines it.</summary>
internal interface IVectorFormula
{
    Vector512<double> Apply(Vector512<double> z);
}

internal static class VectorInDouble
{
    /// <summary>Applies <typeparamref name="TFormula"/> to a vector of T: directly for double; for float widened to two
    /// vectors of double and narrowed once, as the scalar float overloads compute in double and round once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply<T, TFormula>(Vector512<T> z) where TFormula : struct, IVectorFormula
    {
        if (typeof(T) == typeof(double)) return default(TFormula).Apply(z.As<T, double>()).As<double, T>();
        if (typeof(T) == typeof(float))
        {
            (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(z.As<T, float>());
            return Vector512.Narrow(default(TFormula).Apply(lower), default(TFormula).Apply(upper)).As<float, T>();
        }
        throw new NotSupportedException();
    }
}
