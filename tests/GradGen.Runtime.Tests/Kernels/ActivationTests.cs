using GradGen.Kernels;

using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class ActivationTests
{
    private static readonly double[] Points = BuildPoints();

    private static double[] BuildPoints()
    {
        var points = new List<double>();
        for (double z = -8; z <= 8; z += 0.173) points.Add(z);
        points.AddRange([-25.0, -19.5, 19.5, 21.0, 30.0, 1e-2, -1e-2]);
        return points.ToArray();
    }

    private sealed class FiniteDifferenceCheck : IActivationVisitor
    {
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            const double eps = 1e-6;
            int checkedPoints = 0;
            foreach (double z in Points)
            {
                // Skip the kinks of ReLU, LeakyReLU and ELU at 0, and Softplus' switch at its threshold 20.
                if (Math.Abs(z) < 2 * eps || Math.Abs(z - 20) < 2 * eps) continue;
                double a = act.Forward(z);
                double analytic = act.Derivative(z, a);
                double numeric = (act.Forward(z + eps) - act.Forward(z - eps)) / (2 * eps);
                Assert.True(Math.Abs(analytic - numeric) <= 1e-7 * Math.Max(1, Math.Abs(analytic)),
                    $"{typeof(TAct).Name}'({z}) = {analytic:R}, central difference {numeric:R}");
                checkedPoints++;
            }
            Assert.True(checkedPoints > 80);
        }
    }

    [Theory]
    [MemberData(nameof(KernelTestUtil.Activations), MemberType = typeof(KernelTestUtil))]
    public void DerivativeMatchesCentralFiniteDifference(string name) => KernelTestUtil.With(name, new FiniteDifferenceCheck());

    private sealed class FloatMatchesDouble : IActivationVisitor
    {
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation
        {
            foreach (double z in Points)
            {
                float zf = (float)z;
                double a = act.Forward(zf);
                float af = act.Forward(zf);
                Assert.True(Math.Abs(af - a) <= 1e-6 * Math.Max(1, Math.Abs(a)), $"{typeof(TAct).Name}({zf}): float {af}, double {a}");
                double d = act.Derivative(zf, a);
                float df = act.Derivative(zf, af);
                Assert.True(Math.Abs(df - d) <= 1e-5 * Math.Max(1, Math.Abs(d)), $"{typeof(TAct).Name}'({zf}): float {df}, double {d}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelTestUtil.Activations), MemberType = typeof(KernelTestUtil))]
    public void FloatOverloadsAgreeWithDouble(string name) => KernelTestUtil.With(name, new FloatMatchesDouble());

    private static void AssertRel(double expected, double actual, double tol = 4e-16)
        => Assert.True(Math.Abs(actual - expected) <= tol * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void KnownValues()
    {
        // Expected values from mpmath at 40 digits.
        AssertRel(0.84134474606854295, new GELU().Forward(1.0));
        AssertRel(-0.045500263896358414, new GELU().Forward(-2.0), 2e-15);
        AssertRel(0.8411919906082767, new GELUTanh().Forward(1.0));
        AssertRel(1.9287498479639178e-22, new Softplus().Forward(-50.0));
        AssertRel(3.0485873515737421, new Softplus().Forward(3.0));
        Assert.Equal(25.0, new Softplus().Forward(25.0));
        AssertRel(-9.9999999995e-11, new ELU(1.0).Forward(-1e-10));
        AssertRel(2 * -0.86466471676338731, new ELU(2.0).Forward(-2.0));
        AssertRel(9.357622968839299e-14, new Sigmoid().Forward(-30.0), 1e-15);
        AssertRel(9.8596765437597709e-305, new Sigmoid().Forward(-700.0), 1e-14);
        AssertRel(-0.14227761953270034, new SiLU().Forward(-3.0));
        Assert.Equal(-3.0 * 0.01, new LeakyReLU(0.01).Forward(-3.0));
        Assert.Equal(0.0, new ReLU().Forward(-3.0));
        Assert.Equal(2.5, new ReLU().Forward(2.5));
    }

    [Fact]
    public void PyTorchConventionsAtKinksAndExtremes()
    {
        Assert.Equal(0.0, new ReLU().Derivative(0.0, 0.0));                  // relu'(0) = 0
        Assert.Equal(0.01, new LeakyReLU(0.01).Derivative(0.0, 0.0));       // leaky_relu'(0) = slope
        Assert.Equal(1.5, new ELU(1.5).Derivative(0.0, 0.0));               // elu'(0) = alpha (z ≤ 0 branch)
        Assert.Equal(1.0, new Softplus().Derivative(20.5, 20.5));           // above the threshold: identity
        Assert.Equal(0.0, new Sigmoid().Forward(-800.0));
        Assert.Equal(1.0, new Sigmoid().Forward(800.0));
        Assert.Equal(0.0, new Sigmoid().Derivative(800.0, 1.0));
        Assert.Equal(-0.0, new SiLU().Forward(-800.0));
        Assert.Equal(0.0, new GELU().Forward(-40.0));
        Assert.True(double.IsNaN(new ReLU().Forward(double.NaN)));          // NaN propagates, as torch.relu
    }

    private sealed class VectorMatchesScalar : IKernelCheck
    {
        // The vector members the kernels use must agree with the scalar formulas lane by lane: float64 to 1e-13
        // relative, float32 to one rounding (both compute in double and round once). Far tails, ±∞, NaN and −0 too.
        public unsafe void Run<T, TAct, TVec, TOps>(TAct act)
            where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> where TAct : struct, IActivation where TVec : unmanaged where TOps : ISimd<TVec, T>
        {
            Assert.True(VectorActivation.IsSupported<TAct>(), $"{typeof(TAct).Name} has no vector members");
            double relTol = typeof(T) == typeof(float) ? 1.2e-7 : 1e-13;
            var points = new List<double>(Points) { -800, -745.5, -720, -700, -40, 40, 700, 800, -0.0, 0.0, 1e-300, -1e-300,
                double.PositiveInfinity, double.NegativeInfinity, double.NaN, 3e-8, -3e-8, 0.49, 0.51, 3.99, 4.01, 5.99, 6.01, 19.99, 20.01 };
            int v = TOps.Count;
            while (points.Count % v != 0) points.Add(0.5);
            T[] z = points.Select(T.CreateTruncating).ToArray();
            var aScalar = new T[z.Length];
            for (int l = 0; l < z.Length; l++) aScalar[l] = act.Forward(z[l]);
            T[] aVector = new T[z.Length], dVector = new T[z.Length];
            fixed (T* pz = z, pa = aScalar, pav = aVector, pdv = dVector)
            {
                for (int i = 0; i < z.Length; i += v)
                {
                    TOps.Store(VectorActivation.Forward<T, TAct, TVec, TOps>(ref act, TOps.Load(pz + i)), pav + i);
                    // The derivative from the same a as the scalar one: where it is 1 − a² (Tanh) or a(1 − a) (Sigmoid)
                    // and saturates, a last-bit difference in a would otherwise be amplified far beyond the derivative's own error.
                    TOps.Store(VectorActivation.Derivative<T, TAct, TVec, TOps>(ref act, TOps.Load(pz + i), TOps.Load(pa + i)), pdv + i);
                }
            }
            for (int l = 0; l < z.Length; l++)
            {
                T d = act.Derivative(z[l], aScalar[l]);
                // GELUTanh's 1 + tanh and 1 − tanh² cancel for z ≪ 0: there both results carry their tanh's last-bit
                // differences in absolute terms, a few ulp of the terms that cancel (of order |z|³), not of the result.
                double zd = double.CreateTruncating(z[l]);
                double floor = typeof(TAct) == typeof(GELUTanh) && double.IsFinite(zd) ? 4e-16 * Math.Pow(1 + Math.Abs(zd), 3) : 0;
                Close(aScalar[l], aVector[l], floor, $"{typeof(TAct).Name}<{typeof(T).Name}>({z[l]})");
                Close(d, dVector[l], floor, $"{typeof(TAct).Name}'<{typeof(T).Name}>({z[l]})");
            }

            void Close(T expected, T actual, double floor, string what)
            {
                double e = double.CreateTruncating(expected), g = double.CreateTruncating(actual);
                if (double.IsNaN(e) || double.IsInfinity(e) || (e == 0 && floor == 0)) Assert.True(e.Equals(g), $"{what}: scalar {e:R}, vector {g:R}");
                else Assert.True(Math.Abs(e - g) <= Math.Max(relTol * Math.Abs(e), floor), $"{what}: scalar {e:R}, vector {g:R}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(KernelTestUtil.WidthsActivationsAndTypes), MemberType = typeof(KernelTestUtil))]
    public void VectorMembersMatchScalarMembers(int width, string name, string type) => AtWidth(width, name, type, new VectorMatchesScalar());
}
