using GradGen.Tests.Networks;
using Xunit.Abstractions;

namespace GradGen.Tests;

/// <summary>Every gradient of every structure against float64 finite differences, to |numeric − analytic| ≤
/// 1e-9 + 1e-6·|numeric|: about a thousand times tighter than torch.autograd.gradcheck's defaults (1e-5 + 1e-3·|numeric|),
/// which the vanishing gradients of deep_sigmoid_mse pass even when they are zeroed.</summary>
public class FiniteDifferenceTests(ITestOutputHelper output)
{
    private const double Step = 1e-4, Atol = 1e-9, Rtol = 1e-6;
    private const int Batch = 3;

    public static TheoryData<string> Networks
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (string name in PyTorchAgreementTests.Cases) names.Add(name);
            names.Add("sequential_of_blocks");
            return names;
        }
    }

    internal static Network<double> Create(string name, int maxBatch) => name switch
    {
        "sequential_of_blocks" => new SequentialOfBlocks.Float64(maxBatch),
        _ => PyTorchAgreementTests.Create(name, maxBatch),
    };

    /// <summary>Random inputs and targets that fit the network's loss.</summary>
    internal static (double[] Input, Func<Network<double>, double> Loss, Action<Network<double>> Gradients) Problem(Network<double> network, int batch, ulong seed)
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
                return (input, _ => classifier.Evaluate(input, labels), _ => classifier.ComputeGradients(input, labels));
            }
            case Network<double, double> regressor:
            {
                var targets = new double[batch * network.OutputSize];
                for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextDouble(); // in [0, 1): valid for BCE too
                return (input, _ => regressor.Evaluate(input, targets), _ => regressor.ComputeGradients(input, targets));
            }
            default:
                throw new InvalidOperationException("the network has no loss");
        }
    }

    /// <summary>d loss / d parameter[i] by Richardson extrapolation of two central differences, with steps h and h/2:
    /// D(h) = f′ + c·h² + O(h⁴), so (4·D(h/2) − D(h)) / 3 = f′ + O(h⁴). With h = 1e-4 the truncation error is about
    /// 1e-16 and the rounding error about 1e-12 times the loss, far inside the tolerance; a plain central difference
    /// would need a step small enough for rounding (ε·|loss|/h) to reach 1e-9.</summary>
    private static double Richardson(Network<double> network, Func<Network<double>, double> loss, int i)
    {
        return (4 * Central(network, loss, i, Step / 2) - Central(network, loss, i, Step)) / 3;
    }

    private static double Central(Network<double> network, Func<Network<double>, double> loss, int i, double h)
    {
        double saved = network.Parameters[i];
        network.Parameters[i] = saved + h;
        double plus = loss(network);
        network.Parameters[i] = saved - h;
        double minus = loss(network);
        network.Parameters[i] = saved;
        return (plus - minus) / (2 * h);
    }

    private static bool Agrees(double analytic, double numeric) => Math.Abs(numeric - analytic) <= Atol + Rtol * Math.Abs(numeric);

    [Theory]
    [MemberData(nameof(Networks))]
    public void EveryGradientMatchesFiniteDifferences(string name)
    {
        var network = Create(name, Batch);
        var rng = new Rng(99);
        // Fresh random parameters (not just the initialiser's) so that biases and LayerNorm scales are not trivial.
        foreach (ref double p in network.Parameters) p = 0.6 * rng.NextNormal();
        var (_, loss, gradients) = Problem(network, Batch, seed: 5);

        network.ZeroGradients();
        gradients(network);
        double[] analytic = network.Gradients.ToArray();
        double[] numeric = new double[network.ParameterCount];
        for (int i = 0; i < numeric.Length; i++) numeric[i] = Richardson(network, loss, i);

        double worst = 0;
        foreach (var p in network.ParameterTable)
        {
            for (int i = p.Offset; i < p.Offset + p.Length; i++)
            {
                Assert.True(Agrees(analytic[i], numeric[i]), $"{name} {p.Name}[{i - p.Offset}]: analytic {analytic[i]:E6}, numeric {numeric[i]:E6}");
                worst = Math.Max(worst, Math.Abs(numeric[i] - analytic[i]) / (Atol + Rtol * Math.Abs(numeric[i])));
            }
        }

        // Not vacuous: the comparison above must reject a wrong gradient. In every parameter tensor, zeroing the
        // gradient or flipping its sign must fail at some entry; and at most 5% of the nonzero entries may be so small
        // that zeroing them would pass. (Entries that are exactly zero, such as the weights into a ReLU unit that is
        // off for the whole batch, are right when zeroed.)
        int nonzero = 0, indistinct = 0;
        foreach (var p in network.ParameterTable)
        {
            bool zeroFails = false, flipFails = false;
            for (int i = p.Offset; i < p.Offset + p.Length; i++)
            {
                bool zeroAgrees = Agrees(0, numeric[i]);
                if (analytic[i] != 0)
                {
                    nonzero++;
                    if (zeroAgrees) indistinct++;
                }
                zeroFails |= !zeroAgrees;
                flipFails |= !Agrees(-analytic[i], numeric[i]);
            }
            Assert.True(zeroFails, $"{name} {p.Name}: a zeroed gradient would pass, so the check cannot tell");
            Assert.True(flipFails, $"{name} {p.Name}: a sign-flipped gradient would pass, so the check cannot tell");
        }
        output.WriteLine($"{name}: {network.ParameterCount} entries, {nonzero} nonzero; worst |numeric − analytic| is " +
            $"{worst:P1} of the tolerance; {indistinct} nonzero entries would pass if zeroed");
        Assert.True(indistinct <= nonzero / 20, $"{name}: {indistinct} of {nonzero} nonzero entries would pass if their gradient were zeroed");
    }
}
