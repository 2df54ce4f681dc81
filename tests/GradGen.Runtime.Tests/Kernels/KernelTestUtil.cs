using System.Numerics;
using GradGen.Kernels;

namespace GradGen.Runtime.Tests.Kernels;

/// <summary>Random inputs, tolerance checks and activation dispatch shared by the kernel tests.</summary>
internal static class KernelTestUtil
{
    public static T[] Random<T>(int length, ulong seed, double scale = 1.0) where T : IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var result = new T[length];
        for (int i = 0; i < length; i++) result[i] = T.CreateTruncating(rng.NextUniform(-scale, scale));
        return result;
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> values) where T : IFloatingPointIeee754<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = double.CreateTruncating(values[i]);
        return result;
    }

    /// <summary>Tolerance for comparing two summation orders: relative to the largest magnitude in the expected values.</summary>
    /// <summary>Checks <paramref name="grad"/> against central differences of <paramref name="loss"/> in each element of
    /// <paramref name="param"/> (eps 1e-6), within 1e-7·max(1, |grad|).</summary>
    public static void AssertGradientMatchesFiniteDifferences(double[] param, double[] grad, Func<double> loss, string name)
    {
        for (int i = 0; i < param.Length; i++)
        {
            double saved = param[i];
            param[i] = saved + 1e-6;
            double up = loss();
            param[i] = saved - 1e-6;
            double down = loss();
            param[i] = saved;
            double numeric = (up - down) / 2e-6;
            Assert.True(Math.Abs(numeric - grad[i]) <= 1e-7 * Math.Max(1, Math.Abs(grad[i])), $"d{name}[{i}] = {grad[i]:R}, numeric {numeric:R}");
        }
    }

    public static double Tolerance<T>() => typeof(T) == typeof(float) ? 2e-5 : 1e-13;

    /// <summary>Asserts |expected − actual| ≤ tol·max(1e-30, max|expected|) elementwise, and that at least one
    /// element is nonzero (so a kernel that writes nothing cannot pass by comparing zeros with zeros).</summary>
    public static void AssertClose<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double relTol, string what, bool requireNonzero = true)
        where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (T e in expected) scale = Math.Max(scale, Math.Abs(double.CreateTruncating(e)));
        if (requireNonzero && expected.Length > 0) Assert.True(scale > 0, $"{what}: expected values are all zero");
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateTruncating(expected[i]), a = double.CreateTruncating(actual[i]);
            if (double.IsNaN(e) != double.IsNaN(a)) Assert.Fail($"{what}[{i}]: expected {e}, got {a}");
            double diff = Math.Abs(e - a);
            if (diff > worst) { worst = diff; worstAt = i; }
        }
        double limit = relTol * Math.Max(scale, 1e-30);
        Assert.True(worst <= limit,
            $"{what}: worst difference {worst:E3} at [{worstAt}] (expected {(worstAt >= 0 ? expected[worstAt] : T.Zero)}, got {(worstAt >= 0 ? actual[worstAt] : T.Zero)}) exceeds {limit:E3}");
    }

    /// <summary>Every member of the Activation enum, by name.</summary>
    public static readonly string[] ActivationNames = Enum.GetNames<Activation>();

    public static IEnumerable<object[]> Activations() => ActivationNames.Select(n => new object[] { n });

    /// <summary>The vector widths the kernels have, in bits.</summary>
    public static readonly int[] Widths = [512, 256, 128];

    public static IEnumerable<object[]> Types() => [["double"], ["float"]];

    public static IEnumerable<object[]> WidthsAndTypes()
    {
        foreach (int w in Widths)
        {
            yield return [w, "double"];
            yield return [w, "float"];
        }
    }

    public static IEnumerable<object[]> WidthsActivationsAndTypes()
    {
        foreach (int w in Widths)
        {
            foreach (string n in ActivationNames)
            {
                yield return [w, n, "double"];
                yield return [w, n, "float"];
            }
        }
    }

    /// <summary>Calls <paramref name="visitor"/> with the activation struct named <paramref name="name"/>, through the
    /// runtime's table (LeakyReLU with slope 0.01, ELU with alpha 1.3).</summary>
    public static void With<TVisitor>(string name, TVisitor visitor) where TVisitor : IActivationVisitor
    {
        var activation = Enum.Parse<Activation>(name);
        ActivationTable.Visit(activation, activation == Activation.LeakyReLU ? 0.01 : 1.3, visitor);
    }

    /// <summary>Calls <paramref name="check"/> at the vector width of <paramref name="bits"/> for element type T, or
    /// reports the test skipped when that width is not hardware-accelerated in this process.</summary>
    public static void AtWidth<T>(int bits, IWidthCheck<T> check) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (bits)
        {
            case 512:
                Skip.IfNot(Simd512<T>.IsAccelerated, SkipReason(512));
                check.Run<System.Runtime.Intrinsics.Vector512<T>, Simd512<T>>();
                break;
            case 256:
                Skip.IfNot(Simd256<T>.IsAccelerated, SkipReason(256));
                check.Run<System.Runtime.Intrinsics.Vector256<T>, Simd256<T>>();
                break;
            case 128:
                Skip.IfNot(Simd128<T>.IsAccelerated, SkipReason(128));
                check.Run<System.Runtime.Intrinsics.Vector128<T>, Simd128<T>>();
                break;
            default: throw new ArgumentOutOfRangeException(nameof(bits), bits, "no such vector width");
        }
    }

    private static string SkipReason(int bits)
        => $"Vector{bits} is not hardware-accelerated in this process (CPU, DOTNET_PreferredVectorBitWidth or DOTNET_EnableHWIntrinsic); "
           + "VectorWidthTests runs the suite again under each setting";

    /// <summary>Runs <paramref name="check"/> with the activation named <paramref name="activation"/> at width
    /// <paramref name="bits"/> for the element type named <paramref name="type"/> ("double" or "float").</summary>
    public static void AtWidth(int bits, string activation, string type, IKernelCheck check)
    {
        if (type == "double") AtWidth<double>(bits, new ActivationAtWidth<double>(activation, check));
        else AtWidth<float>(bits, new ActivationAtWidth<float>(activation, check));
    }

    private sealed class ActivationAtWidth<T>(string activation, IKernelCheck check) : IWidthCheck<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T> => With(activation, new Visitor<TVec, TOps>(check));

        private sealed class Visitor<TVec, TOps>(IKernelCheck check) : IActivationVisitor where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            public void Visit<TAct>(TAct act) where TAct : struct, IActivation => check.Run<T, TAct, TVec, TOps>(act);
        }
    }
}

/// <summary>A check generic over one vector width.</summary>
internal interface IWidthCheck<T> where T : unmanaged
{
    void Run<TVec, TOps>() where TVec : unmanaged where TOps : ISimd<TVec, T>;
}

/// <summary>A check generic over element type, activation and vector width.</summary>
internal interface IKernelCheck
{
    void Run<T, TAct, TVec, TOps>(TAct act)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TAct : struct, IActivation
        where TVec : unmanaged
        where TOps : ISimd<TVec, T>;
}
