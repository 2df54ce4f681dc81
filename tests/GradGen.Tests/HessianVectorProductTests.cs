using GradGen.Curvature;
using GradGen.Tests.Networks;
using Xunit.Abstractions;

namespace GradGen.Tests;

/// <summary>The exact Hessian-vector product (the generated passes over dual numbers) of every structure, activation
/// and loss against float64 finite differences of the gradient along v, to |numeric − exact| ≤ 1e-9 + 1e-6·|numeric|,
/// the tolerance of <see cref="FiniteDifferenceTests"/>.</summary>
public class HessianVectorProductTests(ITestOutputHelper output)
{
    private const double Step = 1e-4, Atol = 1e-9, Rtol = 1e-6;
    private const int Batch = 3;

    public static TheoryData<string> Networks => FiniteDifferenceTests.Networks;

    /// <summary>A network's batch as a Hessian operator, and its gradient as a function of the parameters.</summary>
    private static (HessianOperator Hessian, Func<double[]> Gradient) Problem(Network<double> network, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var input = new double[batch * network.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextNormal();
        switch (network)
        {
            case Network<double, int> classifier:
            {
                var labels = new int[batch];
                for (int i = 0; i < batch; i++) labels[i] = rng.NextInt(network.OutputSize);
                return (HessianOperator.Create(classifier, input, labels), () => Gradient(classifier, c => c.ComputeGradients(input, labels)));
            }
            case Network<double, double> regressor:
            {
                var targets = new double[batch * network.OutputSize];
                for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextDouble(); // in [0, 1): valid for BCE too
                return (HessianOperator.Create(regressor, input, targets), () => Gradient(regressor, r => r.ComputeGradients(input, targets)));
            }
            default:
                throw new InvalidOperationException("the network has no loss");
        }
    }

    private static double[] Gradient<TNetwork>(TNetwork network, Func<TNetwork, double> compute) where TNetwork : Network<double>
    {
        network.ZeroGradients();
        compute(network);
        return network.Gradients.ToArray();
    }

    /// <summary>g(θ + h·v) − g(θ − h·v) over 2h, Richardson-extrapolated from steps h and h/2 (see
    /// <see cref="FiniteDifferenceTests"/>): the directional derivative of the gradient, H·v, to O(h⁴).</summary>
    private static double[] NumericProduct(Network<double> network, Func<double[]> gradient, double[] v)
    {
        double[] coarse = Central(network, gradient, v, Step), fine = Central(network, gradient, v, Step / 2);
        return fine.Select((f, i) => (4 * f - coarse[i]) / 3).ToArray();
    }

    private static double[] Central(Network<double> network, Func<double[]> gradient, double[] v, double h)
    {
        double[] saved = network.Parameters.ToArray();
        for (int i = 0; i < saved.Length; i++) network.Parameters[i] = saved[i] + h * v[i];
        double[] plus = gradient();
        for (int i = 0; i < saved.Length; i++) network.Parameters[i] = saved[i] - h * v[i];
        double[] minus = gradient();
        saved.CopyTo(network.Parameters);
        return plus.Select((p, i) => (p - minus[i]) / (2 * h)).ToArray();
    }

    private static bool Agrees(double exact, double numeric) => Math.Abs(numeric - exact) <= Atol + Rtol * Math.Abs(numeric);

    [Theory]
    [MemberData(nameof(Networks))]
    public void EveryHessianVectorProductMatchesFiniteDifferencesOfTheGradient(string name)
    {
        var network = FiniteDifferenceTests.Create(name, Batch);
        var rng = new Rng(99);
        foreach (ref double p in network.Parameters) p = 0.6 * rng.NextNormal();
        var (hessian, gradient) = Problem(network, Batch, seed: 5);
        // A random unit direction: every parameter moves, so every layer's second derivatives enter.
        var v = new double[network.ParameterCount];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextNormal();
        double norm = Math.Sqrt(v.Sum(x => x * x));
        for (int i = 0; i < v.Length; i++) v[i] /= norm;

        var exact = new double[v.Length];
        hessian.Multiply(v, exact);
        double[] numeric = NumericProduct(network, gradient, v);

        // The dual pass's gradient values are the plain pass's gradient.
        ReferenceCase.AssertClose($"{name} gradient of the dual pass", hessian.Gradient, gradient(), 1e-13);

        double worst = 0;
        int nonzero = 0, indistinct = 0;
        foreach (var p in network.ParameterTable)
        {
            bool zeroFails = false, flipFails = false;
            for (int i = p.Offset; i < p.Offset + p.Length; i++)
            {
                Assert.True(Agrees(exact[i], numeric[i]), $"{name} (Hv) for {p.Name}[{i - p.Offset}]: exact {exact[i]:E6}, numeric {numeric[i]:E6}");
                worst = Math.Max(worst, Math.Abs(numeric[i] - exact[i]) / (Atol + Rtol * Math.Abs(numeric[i])));
                if (exact[i] != 0)
                {
                    nonzero++;
                    if (Agrees(0, numeric[i])) indistinct++;
                }
                zeroFails |= !Agrees(0, numeric[i]);
                flipFails |= !Agrees(-exact[i], numeric[i]);
            }
            // Not vacuous: a zeroed or sign-flipped product must fail somewhere in every parameter tensor.
            Assert.True(zeroFails, $"{name} {p.Name}: a zeroed Hv would pass, so the check cannot tell");
            Assert.True(flipFails, $"{name} {p.Name}: a sign-flipped Hv would pass, so the check cannot tell");
        }
        output.WriteLine($"{name}: {v.Length} entries of Hv, {nonzero} nonzero; worst |numeric − exact| is {worst:P1} of the tolerance");
        Assert.True(indistinct <= nonzero / 20, $"{name}: {indistinct} of {nonzero} nonzero entries would pass if zeroed");
    }

    /// <summary>The first product finds which parameters the Dense layers' planes serve, and later products keep only the
    /// rest (LayerNorm's) in the dual arena: a second product must equal a fresh operator's first, bit for bit, on every
    /// network above, in float64 and in float32.</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void ASecondProductEqualsAFreshOperatorsFirst(string name)
    {
        var network = FiniteDifferenceTests.Create(name, Batch);
        var single = (Network<float>)Activator.CreateInstance(network.GetType().DeclaringType!, Batch, 0UL)!;
        var rng = new Rng(17);
        for (int i = 0; i < network.ParameterCount; i++) network.Parameters[i] = single.Parameters[i] = (float)(0.6 * rng.NextNormal());
        double[] u = Enumerable.Range(0, network.ParameterCount).Select(_ => rng.NextNormal()).ToArray();
        double[] v = Enumerable.Range(0, network.ParameterCount).Select(_ => rng.NextNormal()).ToArray();
        var input = Enumerable.Range(0, Batch * network.InputSize).Select(_ => (double)(float)rng.NextNormal()).ToArray();
        foreach (bool inSingle in new[] { false, true })
        {
            Func<HessianOperator> create = (network, inSingle) switch
            {
                (Network<double, int> c, false) => () => HessianOperator.Create(c, input, new int[Batch]),
                (Network<double, int>, true) => () => HessianOperator.Create((Network<float, int>)single, input.Select(x => (float)x).ToArray(), new int[Batch]),
                (Network<double, double> r, false) => () => HessianOperator.Create(r, input, Enumerable.Repeat(0.25, Batch * r.OutputSize).ToArray()),
                (Network<double, double> r, true) => () => HessianOperator.Create((Network<float, float>)single, input.Select(x => (float)x).ToArray(), Enumerable.Repeat(0.25f, Batch * r.OutputSize).ToArray()),
                _ => throw new InvalidOperationException("the network has no loss"),
            };
            var kept = create();
            var hu = new double[u.Length];
            var second = new double[v.Length];
            var fresh = new double[v.Length];
            kept.Multiply(u, hu);
            kept.Multiply(v, second);
            create().Multiply(v, fresh);
            Assert.Equal(fresh, second);
            Assert.Contains(second, x => x != 0);
            Assert.NotEqual(hu, second);
        }
    }

    /// <summary>A float network's operator multiplies in float32 (its Dense layers' products; docs/hessian.md, "Precision"):
    /// on every network above, its H·v must agree with the Float64 twin's at the same (float-representable) parameters,
    /// batch and v, to 1e-5 of the product's largest entry (measured: 6e-8 to 7e-7), and must differ from it (so the float32 path ran).</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public void FloatNetworksMultiplyInFloat32AndAgreeWithTheirFloat64Twin(string name)
    {
        const double Tolerance = 1e-5;
        var twin = FiniteDifferenceTests.Create(name, Batch);
        // The float network is the class the Float64 twin is nested in.
        var single = (Network<float>)Activator.CreateInstance(twin.GetType().DeclaringType!, Batch, 0UL)!;
        var rng = new Rng(99);
        for (int i = 0; i < twin.ParameterCount; i++) twin.Parameters[i] = single.Parameters[i] = (float)(0.6 * rng.NextNormal());
        var input = new double[Batch * twin.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = (float)rng.NextNormal();
        float[] input32 = input.Select(x => (float)x).ToArray();
        var v = new double[twin.ParameterCount];
        for (int i = 0; i < v.Length; i++) v[i] = (float)rng.NextNormal();

        HessianOperator hessian32, hessian64;
        switch (twin)
        {
            case Network<double, int> classifier:
            {
                var labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(twin.OutputSize)).ToArray();
                hessian64 = HessianOperator.Create(classifier, input, labels);
                hessian32 = HessianOperator.Create((Network<float, int>)single, input32, labels);
                break;
            }
            case Network<double, double> regressor:
            {
                var targets = Enumerable.Range(0, Batch * twin.OutputSize).Select(_ => (double)(float)rng.NextDouble()).ToArray();
                hessian64 = HessianOperator.Create(regressor, input, targets);
                hessian32 = HessianOperator.Create((Network<float, float>)single, input32, targets.Select(t => (float)t).ToArray());
                break;
            }
            default:
                throw new InvalidOperationException("the network has no loss");
        }
        Assert.True(hessian32.SinglePrecisionProducts, "a float network's operator multiplies in float32");
        Assert.False(hessian64.SinglePrecisionProducts, "a Float64 network's operator multiplies in float64");

        var hv32 = new double[v.Length];
        var hv64 = new double[v.Length];
        hessian32.Multiply(v, hv32);
        hessian64.Multiply(v, hv64);
        double scale = hv64.Max(Math.Abs), worst = hv32.Zip(hv64, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{name}: worst |Hv(float32) − Hv(float64)| = {worst / scale:E2} of max |Hv| = {scale:E3}");
        Assert.True(scale > 0, $"{name}: the product is zero, so the comparison cannot tell");
        Assert.True(worst <= Tolerance * scale, $"{name}: float32 H·v is {worst / scale:E2} of max |Hv| away from float64's, above {Tolerance:E0}");
        Assert.True(worst > 0, $"{name}: float32 H·v equals float64's bit for bit, so the float32 products did not run");
        // And the gradient computed alongside, to the same tolerance.
        double gradientScale = hessian64.Gradient.ToArray().Max(Math.Abs);
        double gradientWorst = hessian32.Gradient.ToArray().Zip(hessian64.Gradient.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(gradientWorst <= Tolerance * gradientScale, $"{name}: float32 gradient is {gradientWorst / gradientScale:E2} of its largest entry away from float64's");
    }

    [Fact]
    public void BadArgumentsAreRefusedWithWhatIsWrong()
    {
        var network = new MlpReluCe.Float64(4);
        var input = new double[2 * network.InputSize];
        var e = Assert.Throws<ArgumentException>(() => HessianOperator.Create(network, input, new[] { 1 }));
        Assert.Contains("needs 2 targets, but got 1", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => HessianOperator.Create(network, input, new[] { 1, 9 }).Multiply(new double[network.ParameterCount], new double[network.ParameterCount]));
        var hessian = HessianOperator.Create(network, input, new[] { 1, 2 });
        e = Assert.Throws<ArgumentException>(() => hessian.Multiply(new double[3], new double[network.ParameterCount]));
        Assert.Contains($"v has 3 entries, the Hessian is {network.ParameterCount} × {network.ParameterCount}", e.Message);
    }
}
