using GradGen.Kernels;

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
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation<float>, IActivation<double>
        {
            const double eps = 1e-6;
            int checkedPoints = 0;
            foreach (double z in Points)
            {
                // Skip the kinks of ReLU, LeakyReLU and ELU at 0, and Softplus' switch at its threshold 20.
                if (Math.Abs(z) < 2 * eps || Math.Abs(z - 20) < 2 * eps) continue;
                double a = ((IActivation<double>)act).Forward(z);
                double analytic = ((IActivation<double>)act).Derivative(z, a);
                double numeric = (((IActivation<double>)act).Forward(z + eps) - ((IActivation<double>)act).Forward(z - eps)) / (2 * eps);
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
        public void Visit<TAct>(TAct act) where TAct : struct, IActivation<float>, IActivation<double>
        {
            foreach (double z in Points)
            {
                float zf = (float)z;
                double a = ((IActivation<double>)act).Forward(zf);
                float af = ((IActivation<float>)act).Forward(zf);
                Assert.True(Math.Abs(af - a) <= 1e-6 * Math.Max(1, Math.Abs(a)), $"{typeof(TAct).Name}({zf}): float {af}, double {a}");
                double d = ((IActivation<double>)act).Derivative(zf, a);
                float df = ((IActivation<float>)act).Derivative(zf, af);
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
}
