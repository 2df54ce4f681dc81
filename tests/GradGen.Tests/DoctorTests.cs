using System.Text.Json;
using GradGen.Diagnostics;
using GradGen.Optim;
using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>The gradient doctor on the article's demos, each finding on a network made to have it, the thresholds,
/// the three instrumentation paths, what Diagnose must leave untouched, the suggestions and the JSON document.</summary>
public class DoctorTests
{
    private static (float[] X, int[] Y) Classification(int batch, int inputs, int classes, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[batch * inputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        var y = new int[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.NextInt(classes);
        return (x, y);
    }

    private static (float[] X, float[] Y) Regression(int batch, int inputs, int outputs, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[batch * inputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        var y = new float[batch * outputs];
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextNormal();
        return (x, y);
    }

    private static Diagnosis Small<TNet>(TNet net, ulong seed = 2, DoctorOptions? options = null) where TNet : Network<float, int>
    {
        var (x, y) = Classification(32, 12, 4, seed);
        return GradientDoctor.Diagnose(net, x, y, options: options);
    }

    private static string Show(Diagnosis d) => "\n" + d.FormatTable();

    // ------------------------------------------------------------------ the article's demos

    [Fact]
    public void TheSigmoidNetworkInitialisedSmallIsVanishing()
    {
        var net = new DoctorSigmoid(32, seed: 1);
        var (x, y) = Classification(32, 100, 10, 2);
        var d = GradientDoctor.Diagnose(net, x, y);

        Assert.False(d.IsHealthy, Show(d));
        var vanishing = Assert.Single(d.Of(FindingKind.Vanishing));
        Assert.Equal("0", vanishing.Layer);
        Assert.True(d.GradientRatio < 1e-3, Show(d));
        Assert.Equal(d.GradientRatio, vanishing.Value);
        Assert.Empty(d.Of(FindingKind.Exploding));
        // Measured within 10× of the forecast at every layer: no mismatch to report.
        Assert.Empty(d.Of(FindingKind.ForecastMismatch));
    }

    [Fact]
    public void TheDeepLinearNetworkWithGainOnePointFiveIsExploding()
    {
        var net = new DoctorLinear20(32, seed: 1);
        var (x, y) = Regression(32, 100, 100, 2);
        var d = GradientDoctor.Diagnose(net, x, y);

        Assert.False(d.IsHealthy, Show(d));
        var exploding = d.Of(FindingKind.Exploding).ToList();
        Assert.Equal(20, exploding.Count); // every layer's ‖∂L/∂W‖ is above 1e4: the activations grow as 1.5^L
        Assert.All(exploding, f => Assert.True(f.Value > 1e4));
        Assert.Empty(d.Of(FindingKind.Vanishing));
        // The short form keeps three of them and counts the rest.
        var lines = d.FormatFindings(perKind: 3).TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Count(l => l.StartsWith("WARNING Exploding", StringComparison.Ordinal) && !l.Contains('…')));
        Assert.Contains(lines, l => l.Contains("… and 17 more, at 3, 4, 5,"));
    }

    [Fact]
    public void TheMlpAtItsDefaultInitialisationIsHealthy()
    {
        var net = new DoctorMlp(32, seed: 1);
        var (x, y) = Classification(32, 784, 10, 2);
        var d = GradientDoctor.Diagnose(net, x, y);

        Assert.True(d.IsHealthy, Show(d));
        Assert.Equal(4, d.Layers.Count);
        Assert.Single(d.Of(FindingKind.GradientRatio));
        Assert.Empty(GradientDoctor.Suggest(d));
        Assert.Empty(GradientDoctor.ApplyQuickFixes(net, d));
    }

    [Fact]
    public void AReLUStackThatVanishedAtTheDefaultInitialisationIsHealthyAfterTheQuickFixes()
    {
        var net = new DoctorReLU30(32, seed: 1);
        var (x, y) = Classification(32, 64, 10, 2);
        var before = GradientDoctor.Diagnose(net, x, y);
        Assert.NotEmpty(before.Of(FindingKind.Vanishing));

        var fixes = GradientDoctor.ApplyQuickFixes(net, before, seed: 5);
        Assert.Equal(31, fixes.Count);
        Assert.All(fixes.Take(30), f => Assert.Equal(Math.Sqrt(2), f.Gain, 12));
        Assert.Equal(1, fixes[^1].Gain); // the last layer has no activation
        // The weights now have He's scale, √2/√64, and the biases are 0.
        var w = net.Parameter("3.weight").ToArray();
        Assert.Equal(Math.Sqrt(2.0 / 64), Math.Sqrt(w.Average(v => (double)v * v)), 0.01);
        Assert.All(net.Parameter("3.bias").ToArray(), b => Assert.Equal(0f, b));

        var after = GradientDoctor.Diagnose(net, x, y);
        Assert.True(after.IsHealthy, Show(after));
        Assert.InRange(after.GradientRatio, 1e-3, 1e3);
    }

    [Fact]
    public void TheBatchCheckedQuickFixesScaleTheGainsWhereTheFittedGainsAloneExplode()
    {
        var (x, y) = Classification(32, 64, 10, 2);
        // Weight gradients above 100 count as exploding here: at the fitted gains this batch's reach 1e3–5e3 (the
        // GradientFlow sample's batch crosses the default 1e4), with a loss of 1,219 for ten classes.
        var options = new DoctorOptions { ExplodingNorm = 100 };
        var declared = new DoctorSoftplus30(32, seed: 1);
        var before = GradientDoctor.Diagnose(declared, x, y, options: options);
        Assert.NotEmpty(before.Of(FindingKind.Vanishing));
        double[] declaredRms = RmsOfWeights(declared);

        // The fitted gains alone: the gradient explodes instead.
        var unchecked_ = new DoctorSoftplus30(32, seed: 1);
        Assert.All(GradientDoctor.ApplyQuickFixes(unchecked_, before, seed: 5), f => Assert.Equal(1, f.Scale));
        var afterUnchecked = GradientDoctor.Diagnose(unchecked_, x, y, options: options);
        Assert.True(afterUnchecked.Of(FindingKind.Exploding).Any(), Show(afterUnchecked));

        // Checked on the batch: one common scale below 1, at which the gradients neither vanish nor explode. No scale
        // clears every finding: where the gradient holds, softplus's positive mean still leaves the logits large (the
        // loss 9.6 against ln 10 = 2.3, a LargeLoss finding), and smaller scales make it vanish.
        var fixes = GradientDoctor.ApplyQuickFixes(declared, before, x, y, seed: 5, options);
        Assert.Equal(31, fixes.Count);
        double scale = fixes[0].Scale;
        Assert.InRange(scale, 0.25, 0.99);
        Assert.Contains(scale, GradientDoctor.TrialScales);
        Assert.All(fixes, f => Assert.Equal(scale, f.Scale));
        Assert.Equal(GradientDoctor.FittedGain(Activation.Softplus), fixes[0].Gain, 12);
        Assert.NotEmpty(afterUnchecked.Of(FindingKind.LargeLoss));
        var after = GradientDoctor.Diagnose(declared, x, y, options: options);
        Assert.True(after.Of(FindingKind.Vanishing).Concat(after.Of(FindingKind.Exploding)).Concat(after.Of(FindingKind.NonFinite)).Count() == 0, Show(after));
        Assert.InRange(after.GradientRatio, 1e-3, 1e3);
        static int Problems(Diagnosis d) => d.Findings.Count(f => f.Severity != Severity.Info);
        Assert.True(Problems(after) < Problems(afterUnchecked), Show(after));
        Assert.True(after.Loss < afterUnchecked.Loss / 10, $"loss {after.Loss} against {afterUnchecked.Loss} at the fitted gains");

        // The network is left at that scale: the same seed's draws, each weight scale × the unchecked one's; the RMS
        // before is the declared weights', not a trial's, and the RMS after is the expected gain·scale/√fan_in.
        for (int i = 0; i < fixes.Count; i++)
        {
            var w = declared.Parameter(fixes[i].Weight).ToArray();
            var u = unchecked_.Parameter(fixes[i].Weight).ToArray();
            for (int k = 0; k < w.Length; k += 97) Assert.Equal(scale * u[k], w[k], 1e-5 * Math.Abs(u[k]) + 1e-12);
            Assert.Equal(declaredRms[i], fixes[i].RmsBefore, 1e-6 * declaredRms[i]);
            Assert.Equal(fixes[i].Gain * scale / Math.Sqrt(64), fixes[i].RmsAfter, 12);
        }
        Assert.Contains($"(gain {fixes[0].Gain:G4} × {scale:G4})", fixes[0].ToString());
    }

    [Fact]
    public void ALossFarAboveUniformPredictionsIsALargeLossFindingForSoftmaxCrossEntropyOnly()
    {
        var (x, y) = Classification(32, 64, 10, 2);
        // The softplus stack at its fitted gains: logits so large that the loss is hundreds of times ln 10.
        var net = new DoctorSoftplus30(32, seed: 1);
        GradientDoctor.ApplyQuickFixes(net, GradientDoctor.Diagnose(net, x, y), seed: 5);
        var d = GradientDoctor.Diagnose(net, x, y);
        var finding = Assert.Single(d.Of(FindingKind.LargeLoss));
        Assert.Equal(Severity.Warning, finding.Severity);
        Assert.Equal(d.Loss, finding.Value);
        Assert.Equal(3 * Math.Log(10), finding.Reference, 12);
        Assert.Contains("ln 10", finding.Message);
        Assert.Contains(GradientDoctor.Suggest(d), s => s.Finding == FindingKind.LargeLoss && s.Code.Contains("ApplyQuickFixes", StringComparison.Ordinal));
        // No GG rule sees the loss, so no suggestion for it names one (docs/doctor.md).
        Assert.All(GradientDoctor.Suggest(d).Where(s => s.Finding == FindingKind.LargeLoss), s => Assert.Null(s.Rule));
        // The threshold is LossFactor × ln C: just above the loss, no finding.
        Assert.Empty(GradientDoctor.Diagnose(net, x, y, options: new DoctorOptions { LossFactor = d.Loss / Math.Log(10) * 1.01 }).Of(FindingKind.LargeLoss));

        // A network at PyTorch's default initialisation starts near ln 10, and MSE has no such baseline.
        var mlp = new DoctorMlp(32, seed: 1);
        var (mx, my) = Classification(32, 784, 10, 2);
        Assert.Empty(GradientDoctor.Diagnose(mlp, mx, my).Of(FindingKind.LargeLoss));
        var linear = new DoctorLinear20(32, seed: 1);
        var (lx, ly) = Regression(32, 100, 100, 3);
        var exploding = GradientDoctor.Diagnose(linear, lx, ly);
        Assert.True(exploding.Loss > 100, exploding.Loss.ToString());
        Assert.Empty(exploding.Of(FindingKind.LargeLoss));
    }

    [Fact]
    public void TheBatchCheckedQuickFixesKeepTheFittedGainsWhenTheyHeal()
    {
        var net = new DoctorReLU30(32, seed: 1);
        var (x, y) = Classification(32, 64, 10, 2);
        var fixes = GradientDoctor.ApplyQuickFixes(net, GradientDoctor.Diagnose(net, x, y), x, y, seed: 5);
        Assert.Equal(31, fixes.Count);
        Assert.All(fixes, f => Assert.Equal(1, f.Scale));
        Assert.DoesNotContain("×", fixes[0].ToString());
        Assert.True(GradientDoctor.Diagnose(net, x, y).IsHealthy);

        // And a healthy network is left alone.
        var mlp = new DoctorMlp(32, seed: 1);
        var (mx, my) = Classification(32, 784, 10, 2);
        float[] weights = mlp.Parameters.ToArray();
        Assert.Empty(GradientDoctor.ApplyQuickFixes(mlp, GradientDoctor.Diagnose(mlp, mx, my), mx, my));
        Assert.Equal(weights, mlp.Parameters.ToArray());
    }

    private static double[] RmsOfWeights(Network<float> net) =>
        net.ParameterTable.Where(p => p.Shape.Length == 2).Select(p => Math.Sqrt(net.Parameter(p.Name).ToArray().Average(v => (double)v * v))).ToArray();

    [Theory]
    [InlineData(Activation.GELU)]
    [InlineData(Activation.GELUTanh)]
    [InlineData(Activation.SiLU)]
    [InlineData(Activation.Softplus)]
    [InlineData(Activation.ELU)]
    public void TheFittedGainKeepsTheGradientsScaleWherePyTorchHasNoGain(Activation activation)
    {
        // 1/√E[f′(z)²], z ~ N(0, 1), with f′ by central differences of the forward (not the kernels' derivative), on a
        // finer grid than the doctor's.
        var table = new Dictionary<Activation, Func<double, double>>
        {
            [Activation.GELU] = z => 0.5 * z * (1 + Erf(z / Math.Sqrt(2))),
            [Activation.GELUTanh] = z => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z))),
            [Activation.SiLU] = z => z / (1 + Math.Exp(-z)),
            [Activation.Softplus] = z => Math.Log(1 + Math.Exp(z)),
            [Activation.ELU] = z => z > 0 ? z : Math.Exp(z) - 1,
        };
        var f = table[activation];
        double sum = 0, h = 1e-4, step = 1.0 / 1024;
        for (double z = -12; z <= 12; z += step)
        {
            double d = (f(z + h) - f(z - h)) / (2 * h);
            sum += d * d * Math.Exp(-z * z / 2) * step;
        }
        double expected = 1 / Math.Sqrt(sum / Math.Sqrt(2 * Math.PI));
        Assert.Equal(expected, GradientDoctor.FittedGain(activation), 1e-4);
        Assert.Equal(Math.Sqrt(2), GradientDoctor.FittedGain(Activation.ReLU), 15);
        Assert.Equal(5.0 / 3, GradientDoctor.FittedGain(Activation.Tanh), 15);
    }

    /// <summary>erf by its Taylor series, exact to ~1e-12 up to 3.5 (where 1 − erf = 7e-7); ±1 beyond.</summary>
    private static double Erf(double x)
    {
        if (Math.Abs(x) > 3.5) return Math.Sign(x);
        double sum = x, term = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    // ------------------------------------------------------------------ each finding

    [Fact]
    public void AParameterWithAZeroGradientIsReported()
    {
        var net = new DoctorSmall(32, seed: 1);
        net.Parameter("1.weight").Clear(); // zero weights pass nothing back (dx = Wᵀ·dz = 0): layer 0 gets no gradient
        var d = Small(net);
        Assert.Equal(["0.weight", "0.bias"], d.Of(FindingKind.NoGradient).Select(f => f.Layer));
        Assert.All(d.Of(FindingKind.NoGradient), f => Assert.Equal(Severity.Warning, f.Severity));
        Assert.Empty(Small(new DoctorSmall(32, seed: 1)).Of(FindingKind.NoGradient));
    }

    [Theory]
    [InlineData(typeof(DoctorSmall))]
    [InlineData(typeof(DoctorSmallGuarded))]
    [InlineData(typeof(DoctorSmallPlain))]
    public void ANaNInAWeightIsAnErrorNamingTheParameter(Type type)
    {
        var net = (Network<float, int>)Activator.CreateInstance(type, 32, 1UL)!;
        net.Parameter("1.weight")[5] = float.NaN;
        var d = Small(net);
        var f = Assert.Single(d.Findings, f => f.Severity == Severity.Error);
        Assert.Equal(FindingKind.NonFinite, f.Kind);
        Assert.Equal("1", f.Layer);
        Assert.Contains("1.weight", f.Message);
        Assert.False(d.IsHealthy);
    }

    [Theory]
    [InlineData(typeof(DoctorSmall))]
    [InlineData(typeof(DoctorSmallGuarded))]
    public void AnOverflowNamesTheFirstLayerWhoseOutputIsNotFinite(Type type)
    {
        var net = (Network<float, int>)Activator.CreateInstance(type, 32, 1UL)!;
        net.Parameter("1.weight").Fill(3e38f); // layer 1's sums overflow to ±∞ (the sigmoid then gives 0 or 1: finite)
        net.Parameter("2.weight").Fill(3e38f);
        var d = Small(net);
        var f = Assert.Single(d.Of(FindingKind.NonFinite));
        Assert.Equal(Severity.Error, f.Severity);
        Assert.Equal("2", f.Layer);
        Assert.Contains("first produced in the forward pass by layer 2", f.Message);
    }

    [Fact]
    public void ANaNInTheInputIsNamedAsTheInput()
    {
        var net = new DoctorSmall(32, seed: 1);
        var (x, y) = Classification(32, 12, 4, 2);
        x[3 * 12 + 7] = float.NaN;
        var d = GradientDoctor.Diagnose(net, x, y);
        var f = Assert.Single(d.Of(FindingKind.NonFinite));
        Assert.Equal("input", f.Layer);
        Assert.Contains("sample 3, feature 7", f.Message);
    }

    [Fact]
    public void ANegativeBiasKillsTheReLUUnits()
    {
        var net = new DoctorSmall(32, seed: 1);
        var bias = net.Parameter("0.bias");
        for (int j = 0; j < 12; j++) bias[j] = -100; // 12 of 16 units can never be positive
        var d = Small(net);
        var dead = Assert.Single(d.Of(FindingKind.DeadReLU));
        Assert.Equal("0", dead.Layer);
        Assert.Equal(12.0 / 16, dead.Value);
        Assert.Equal(0.5, dead.Reference);
        Assert.Equal(12.0 / 16, d.Layers[0].DeadFraction);
    }

    [Fact]
    public void TheDeadFractionReadsADenseBlocksStridedColumns()
    {
        // A dense block's layers write their outputs as columns of one wider buffer: the doctor reads them in place, at
        // the block's row stride, and must find what a contiguous copy of each output gives.
        const int batch = 16;
        var net = new InstrumentedStructures(batch, seed: 3);
        var rng = new Rng(11);
        var x = new float[batch * 6];
        var y = new float[batch * 2];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextNormal();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextNormal();
        var d = GradientDoctor.Diagnose(net, x, y);
        var relu = net.LayerTable.Where(l => l.Activation == Activation.ReLU).ToList();
        Assert.Contains(relu, l => l.OutputStride != l.Width);
        foreach (var layer in relu)
        {
            var output = net.CopyLayerOutput(layer); // the doctor's pass was the last forward
            int dead = Enumerable.Range(0, layer.Width).Count(j => Enumerable.Range(0, batch).All(i => output[i * layer.Width + j] <= 0));
            Assert.Equal((double)dead / layer.Width, d.Layers.Single(l => l.Name == layer.Name).DeadFraction);
        }
    }

    [Fact]
    public void LargeWeightsSaturateTheSigmoid()
    {
        var net = new DoctorSmall(32, seed: 1);
        var w = net.Parameter("1.weight");
        for (int i = 0; i < w.Length; i++) w[i] *= 100;
        var d = Small(net);
        var saturated = Assert.Single(d.Of(FindingKind.Saturated));
        Assert.Equal("1", saturated.Layer);
        Assert.True(saturated.Value > 0.5, Show(d));
        Assert.Equal("Sigmoid", d.Layers[1].Activation);
        var fixes = GradientDoctor.Suggest(d).Where(s => s.Finding == FindingKind.Saturated).ToList();
        Assert.Contains(fixes, s => s.Rule == "GG1001" && s.CodeFix == "Use ReLU with Kaiming (He) initialisation");
    }

    [Fact]
    public void AForecastThatDisagreesByMoreThanTenfoldIsReportedWithBothNumbers()
    {
        var net = new DoctorSmall(32, seed: 1);
        var measured = Small(net);
        // A forecast that puts the first layer's relative scale 100× below what was measured.
        var forecast = new NetworkForecast(1, 1, [
            new LayerForecast("0.weight", measured.Layers[0].RelativeGradient / 100, 1),
            new LayerForecast("1.weight", measured.Layers[1].RelativeGradient, 1),
            new LayerForecast("2.weight", 1, 1)]);
        var (x, y) = Classification(32, 12, 4, 2);
        var d = GradientDoctor.Diagnose(net, x, y, forecast);
        var f = Assert.Single(d.Of(FindingKind.ForecastMismatch));
        Assert.Equal("0", f.Layer);
        Assert.Equal(measured.Layers[0].RelativeGradient, f.Value, 12);
        Assert.Equal(measured.Layers[0].RelativeGradient / 100, f.Reference, 12);
        Assert.Contains("moved away from their initialisation", f.Message);
        Assert.Contains("forecast is wrong", f.Message);
        Assert.True(d.IsHealthy); // a mismatch is information, not a problem of the network
    }

    // ------------------------------------------------------------------ thresholds

    /// <summary>DoctorSmall with 4 of its 16 ReLU units dead (bias −100) and its sigmoid layer's weights ×20, so that
    /// every measured share is strictly between 0 and 1.</summary>
    private static DoctorSmall PartlyDeadAndSaturated()
    {
        var net = new DoctorSmall(32, seed: 1);
        net.Parameter("0.bias")[..4].Fill(-100);
        foreach (ref float w in net.Parameter("1.weight")) w *= 20;
        return net;
    }

    [Fact]
    public void EveryThresholdDecides()
    {
        var net = PartlyDeadAndSaturated();
        var d = Small(net);
        double smallest = d.Layers.Min(l => l.GradientNorm), largest = d.Layers.Max(l => l.GradientNorm);
        double dead = d.Layers[0].DeadFraction, saturated = d.Layers[1].SaturatedFraction;
        Assert.Equal(0.25, dead);
        Assert.InRange(saturated, 0.01, 0.99);
        Assert.Empty(d.Of(FindingKind.Vanishing));
        Assert.Empty(d.Of(FindingKind.Exploding));

        Assert.NotEmpty(Small(net, options: new DoctorOptions { VanishingNorm = smallest * 1.01 }).Of(FindingKind.Vanishing));
        Assert.Empty(Small(net, options: new DoctorOptions { VanishingNorm = smallest * 0.99 }).Of(FindingKind.Vanishing));
        Assert.NotEmpty(Small(net, options: new DoctorOptions { ExplodingNorm = largest * 0.99 }).Of(FindingKind.Exploding));
        Assert.Empty(Small(net, options: new DoctorOptions { ExplodingNorm = largest * 1.01 }).Of(FindingKind.Exploding));
        Assert.NotEmpty(Small(net, options: new DoctorOptions { VanishingRatio = d.GradientRatio * 1.01, ExplodingRatio = d.GradientRatio * 1e3 }).Of(FindingKind.Vanishing));
        Assert.NotEmpty(Small(net, options: new DoctorOptions { VanishingRatio = d.GradientRatio / 1e3, ExplodingRatio = d.GradientRatio * 0.99 }).Of(FindingKind.Exploding));
        Assert.NotEmpty(Small(net, options: new DoctorOptions { DeadFraction = dead * 0.99 }).Of(FindingKind.DeadReLU));
        Assert.Empty(Small(net, options: new DoctorOptions { DeadFraction = dead }).Of(FindingKind.DeadReLU)); // "more than"
        Assert.NotEmpty(Small(net, options: new DoctorOptions { SaturatedFraction = saturated * 0.99 }).Of(FindingKind.Saturated));
        Assert.Empty(Small(net, options: new DoctorOptions { SaturatedFraction = saturated }).Of(FindingKind.Saturated));
    }

    [Theory]
    [InlineData("VanishingNorm", 0.0)]
    [InlineData("ExplodingNorm", double.PositiveInfinity)]
    [InlineData("VanishingRatio", double.NaN)]
    [InlineData("DeadFraction", 1.0)]
    [InlineData("SaturatedFraction", -0.1)]
    [InlineData("ForecastFactor", 1.0)]
    [InlineData("LossFactor", 0.5)]
    [InlineData("LossFactor", double.PositiveInfinity)]
    public void AnOptionOutOfRangeIsRefusedByName(string option, double value)
    {
        var options = option switch
        {
            "VanishingNorm" => new DoctorOptions { VanishingNorm = value },
            "ExplodingNorm" => new DoctorOptions { ExplodingNorm = value },
            "VanishingRatio" => new DoctorOptions { VanishingRatio = value },
            "DeadFraction" => new DoctorOptions { DeadFraction = value },
            "SaturatedFraction" => new DoctorOptions { SaturatedFraction = value },
            "LossFactor" => new DoctorOptions { LossFactor = value },
            _ => new DoctorOptions { ForecastFactor = value },
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Small(new DoctorSmall(32, 1), options: options));
        Assert.Equal(option, e.ParamName);
    }

    // ------------------------------------------------------------------ instrumentation paths and side effects

    [Fact]
    public void TheMonitorsStatisticsAndTheLayerOutputsGiveTheSameDiagnosis()
    {
        var monitored = Small(new DoctorSmall(32, seed: 1));
        var guarded = Small(new DoctorSmallGuarded(32, seed: 1));
        Assert.Equal("monitor statistics", monitored.Source);
        Assert.Equal("layer outputs", guarded.Source);
        Assert.Equal(monitored.Layers.Count, guarded.Layers.Count);
        for (int i = 0; i < monitored.Layers.Count; i++)
        {
            var (a, b) = (monitored.Layers[i], guarded.Layers[i]);
            Assert.Equal(a.GradientNorm, b.GradientNorm);
            Assert.Equal(a.DeadFraction, b.DeadFraction);
            Assert.Equal(a.SaturatedFraction, b.SaturatedFraction);
            Assert.Equal(a.OutputGradientNorm, b.OutputGradientNorm, 1e-6 * a.OutputGradientNorm); // float sums in another order
        }
    }

    [Fact]
    public void WithoutInstrumentationOnlyTheGradientsAreJudgedAndTheReportSaysSo()
    {
        var net = new DoctorSmallPlain(32, seed: 1);
        var d = Small(net);
        Assert.Equal("parameters only", d.Source);
        Assert.Equal(["0", "1", "2"], d.Layers.Select(l => l.Name));
        Assert.All(d.Layers, l => Assert.True(double.IsNaN(l.DeadFraction) && l.Activation is null));
        Assert.Single(d.Of(FindingKind.NotChecked));
        Assert.Equal(Small(new DoctorSmall(32, seed: 1)).GradientRatio, d.GradientRatio);
        Assert.Throws<InvalidOperationException>(() => GradientDoctor.ApplyQuickFixes(net, Small(net, options: new DoctorOptions { VanishingNorm = 1 })));
    }

    [Fact]
    public void DiagnoseLeavesTheParametersGradientsAndMonitorAsTheyWere()
    {
        var net = new DoctorSmall(32, seed: 1);
        var monitor = net.Monitor!;
        var (x, y) = Classification(32, 12, 4, 9);
        net.TrainStep(x, y, new Sgd<float>(net.ParameterCount, 0.1)); // one sampled step: statistics and history
        var parameters = net.Parameters.ToArray();
        var gradients = net.Gradients.ToArray();
        var activations = monitor.Activations.ToArray();
        long step = monitor.Step;
        int history = monitor.History.Count;
        double loss = monitor.Loss;

        var d = Small(net);

        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(gradients, net.Gradients.ToArray());
        Assert.Equal(activations, monitor.Activations.ToArray());
        Assert.Equal(step, monitor.Step);
        Assert.Equal(history, monitor.History.Count);
        Assert.Equal(loss, monitor.Loss);
        Assert.False(monitor.IsSampling);
        Assert.NotEqual(loss, d.Loss);
    }

    [Fact]
    public void TheForecastIsFoundOnTheGeneratedClassAndOnItsFloat64Twin()
    {
        Assert.Same(DoctorSmall.Forecast, GradientDoctor.GeneratedForecast(typeof(DoctorSmall)));
        Assert.Same(DoctorSmall.Forecast, GradientDoctor.GeneratedForecast(typeof(DoctorSmall.Float64)));
        Assert.Null(GradientDoctor.GeneratedForecast(typeof(string)));
        var d = Small(new DoctorSmall(32, seed: 1));
        Assert.Equal(DoctorSmall.Forecast.GradientRatio, d.ForecastGradientRatio);
        Assert.Equal(DoctorSmall.Forecast.Layers[0].GradientScale, d.Layers[0].ForecastRelativeGradient);
    }

    // ------------------------------------------------------------------ suggestions and report

    // The code fixes each rule offers (docs/rules/GG*.md, "Fix" sections; analyzers/GradGen.Analyzers: RuleIds.Fixes).
    private static readonly Dictionary<string, string[]> s_fixesOfRule = new()
    {
        ["GG1001"] = ["Use ReLU with Kaiming (He) initialisation", "Use WeightInit = Init.", "Insert [LayerNorm] after this layer", "Remove the activation"],
        ["GG1002"] = ["Use WeightInit = Init.", "Insert [LayerNorm] after this layer"],
        ["GG2001"] = ["Wrap the repeated body in [Residual]"],
        ["GG2002"] = ["Use WeightInit = Init."],
        ["GG2006"] = [],
        ["GG2007"] = ["Use WeightInit = Init."],
    };

    [Fact]
    public void EverySuggestionNamesARealRuleAndItsCodeFix()
    {
        string fixer = File.ReadAllText(Path.Combine(RepositoryRoot(), "analyzers", "GradGen.CodeFixes", "NetworkDeclarationFixer.cs"));
        var zeroed = new DoctorSmall(32, 1);
        zeroed.Parameter("1.weight").Clear();
        var nan = new DoctorSmall(32, 1);
        nan.Parameter("0.bias")[0] = float.NaN;
        var diagnoses = new[]
        {
            Small(new DoctorSmall(32, 1), options: new DoctorOptions { VanishingRatio = 10, ExplodingRatio = 100 }),
            Small(new DoctorSmall(32, 1), options: new DoctorOptions { ExplodingNorm = 1e-3 }),
            Small(PartlyDeadAndSaturated(), options: new DoctorOptions { DeadFraction = 0, SaturatedFraction = 0 }),
            Small(zeroed),
            Small(nan),
        };
        var all = diagnoses.SelectMany(GradientDoctor.Suggest).ToList();
        foreach (var kind in new[] { FindingKind.Vanishing, FindingKind.Exploding, FindingKind.DeadReLU, FindingKind.Saturated, FindingKind.NoGradient, FindingKind.NonFinite })
            Assert.Contains(all, s => s.Finding == kind);
        foreach (var s in all.Where(s => s.Rule is not null))
        {
            Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "docs", "rules", s.Rule + ".md")), $"{s.Rule} has no docs/rules page");
            Assert.True(s_fixesOfRule.ContainsKey(s.Rule!), $"{s.Rule}: add its code fixes to this test");
            if (s.CodeFix is null) continue;
            string offered = Assert.Single(s_fixesOfRule[s.Rule!], title => s.CodeFix.StartsWith(title, StringComparison.Ordinal));
            if (offered == "Use WeightInit = Init.")
            {
                Assert.True(Enum.TryParse<Init>(s.CodeFix[offered.Length..], out _), s.CodeFix);
                Assert.Contains("$\"Use WeightInit = Init.{init}\"", fixer);
            }
            else Assert.Contains($"\"{offered}\"", fixer);
        }
        Assert.Contains(all, s => s.Fix.Contains("clipping"));
        Assert.Contains(all, s => s.Fix.Contains("lower learning rate"));
        Assert.Contains(all, s => s.Fix.Contains("He (Kaiming)"));
        Assert.Contains(all, s => s.Fix.Contains("GELU"));
        Assert.Contains(all, s => s.Fix.Contains("LayerNorm"));
    }

    [Fact]
    public void ADeepVanishingStackIsToldToUseResidualConnections()
    {
        var net = new DoctorReLU30(32, seed: 1);
        var (x, y) = Classification(32, 64, 10, 2);
        var suggestions = GradientDoctor.Suggest(GradientDoctor.Diagnose(net, x, y));
        Assert.Contains(suggestions, s => s.Rule == "GG2001" && s.CodeFix == "Wrap the repeated body in [Residual]");
    }

    [Fact]
    public void TheJsonDocumentRoundTripsAndHasItsDocumentedShape()
    {
        var net = new DoctorSmall(32, 1);
        net.Parameter("1.weight").Clear();
        var d = Small(net);
        string json = d.ToJson();

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal("DoctorSmall", root.GetProperty("network").GetString());
        Assert.Equal(32, root.GetProperty("batch").GetInt32());
        Assert.False(root.GetProperty("healthy").GetBoolean());
        Assert.Equal(3, root.GetProperty("layers").GetArrayLength());
        var finding = root.GetProperty("findings")[0];
        Assert.Equal("NoGradient", finding.GetProperty("kind").GetString());
        Assert.Equal("Warning", finding.GetProperty("severity").GetString());
        Assert.Equal("NaN", root.GetProperty("layers")[2].GetProperty("deadFraction").GetString()); // the last layer has no ReLU

        var back = Diagnosis.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(d.Layers, back.Layers);
        Assert.Equal(d.Findings, back.Findings);
        Assert.Equal(d.IsHealthy, back.IsHealthy);
        Assert.Throws<JsonException>(() => Diagnosis.FromJson("{\"batch\": 3}"));
    }

    [Fact]
    public void TheTableHasARowPerLayerAndALinePerFinding()
    {
        var d = Small(PartlyDeadAndSaturated(), options: new DoctorOptions { DeadFraction = 0.1 });
        var lines = d.FormatTable().TrimEnd('\n').Split('\n');
        Assert.StartsWith("DoctorSmall: batch 32", lines[0]);
        Assert.Equal(2 + d.Layers.Count + 1 + d.Findings.Count, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("WARNING DeadReLU"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GradGen.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("GradGen.sln not found above " + AppContext.BaseDirectory);
    }
}
