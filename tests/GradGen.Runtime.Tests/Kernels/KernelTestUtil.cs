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

    public static readonly string[] ActivationNames =
        ["Identity", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "GELU", "GELUTanh", "SiLU", "Softplus", "ELU"];

    public static IEnumerable<object[]> Activations() => ActivationNames.Select(n => new object[] { n });

    public static IEnumerable<object[]> ActivationsAndTypes()
    {
        foreach (string n in ActivationNames)
        {
            yield return [n, "double"];
            yield return [n, "float"];
        }
    }

    /// <summary>Calls <paramref name="visitor"/> with the activation struct named <paramref name="name"/>.</summary>
    public static void With<TVisitor>(string name, TVisitor visitor) where TVisitor : IActivationVisitor
    {
        switch (name)
        {
            case "Identity": visitor.Visit(new Identity()); break;
            case "Sigmoid": visitor.Visit(new Sigmoid()); break;
            case "Tanh": visitor.Visit(new Tanh()); break;
            case "ReLU": visitor.Visit(new ReLU()); break;
            case "LeakyReLU": visitor.Visit(new LeakyReLU(0.01)); break;
            case "GELU": visitor.Visit(new GELU()); break;
            case "GELUTanh": visitor.Visit(new GELUTanh()); break;
            case "SiLU": visitor.Visit(new SiLU()); break;
            case "Softplus": visitor.Visit(new Softplus()); break;
            case "ELU": visitor.Visit(new ELU(1.3)); break;
            default: throw new ArgumentException(name);
        }
    }
}

/// <summary>A generic callback over activation structs that work for both float and double.</summary>
internal interface IActivationVisitor
{
    void Visit<TAct>(TAct act) where TAct : struct, IActivation;
}
