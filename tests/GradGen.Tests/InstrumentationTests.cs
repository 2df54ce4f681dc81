using GradGen.Monitoring;
using GradGen.Optim;
using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>The statistics the generated passes record, against the same statistics computed directly (in plain
/// double loops) from the layers' outputs and gradients; sampling, history, observers; anomaly detection.</summary>
public class InstrumentationTests
{
    private static double[] Random(int n, ulong seed, double scale = 1)
    {
        var rng = new Rng(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextNormal() * scale;
        return a;
    }

    private static float[] ToFloat(double[] a) => a.Select(x => (float)x).ToArray();

    private static void Close(double expected, double actual, double tol, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        if (expected == actual) return; // ±∞ too: a zero-initialised bias has an infinite update ratio
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");
    }

    [Fact]
    public void EveryLayersStatisticsEqualADirectComputationOnItsOutputAndGradient()
    {
        const int batch = 7;
        var net = new InstrumentedStructures.Float64(batch, seed: 3);
        var monitor = net.Monitor!;
        Assert.Equal(net.LayerTable.Count, monitor.Layers.Count);
        double[] x = Random(batch * 6, 1), y = Random(batch * 2, 2);
        var before = net.Parameters.ToArray();
        net.TrainStep(x, y, new Sgd<double>(net.ParameterCount, 0.1));

        Assert.Equal(1, monitor.Step);
        Assert.False(monitor.IsSampling);
        foreach (var layer in net.LayerTable)
        {
            var output = net.CopyLayerOutput(layer);
            var expected = StatisticsReference.Activations<double>(output, batch, layer.Width, layer.Width, layer.Saturation);
            var actual = monitor.Activations[layer.Index];
            string name = $"layer {layer.Index} ({layer.Name}, {layer.Kind})";
            Close(expected.Mean, actual.Mean, 1e-12, name + " mean");
            Close(expected.Std, actual.Std, 1e-9, name + " std");
            Close(expected.Min, actual.Min, 0, name + " min");
            Close(expected.Max, actual.Max, 0, name + " max");
            Close(expected.ZeroFraction, actual.ZeroFraction, 0, name + " zeros");
            Close(expected.SaturatedFraction, actual.SaturatedFraction, 0, name + " saturated");

            var gradient = net.CopyLayerOutputGradient(layer);
            var g = StatisticsReference.Gradients<double>(gradient, batch, layer.Width, layer.Width);
            var ga = monitor.Gradients[layer.Index];
            Close(g.Mean, ga.Mean, 1e-12, name + " gradient mean");
            Close(g.Std, ga.Std, 1e-9, name + " gradient std");
            Close(g.L2Norm, ga.L2Norm, 1e-12, name + " gradient L2");
            Close(g.MaxAbs, ga.MaxAbs, 0, name + " gradient max");
            Assert.True(g.L2Norm > 0, name + ": a zero gradient would make this comparison vacuous");
        }
        // ReLU layers have dead units and the sigmoid layers saturated ones somewhere, or the fractions test nothing
        Assert.Contains(net.LayerTable, l => monitor.Activations[l.Index].ZeroFraction > 0);

        var after = net.Parameters.ToArray();
        for (int p = 0; p < net.ParameterTable.Count; p++)
        {
            var info = net.ParameterTable[p];
            var w0 = before.AsSpan(info.Offset, info.Length).ToArray();
            var w1 = after.AsSpan(info.Offset, info.Length).ToArray();
            double weightNorm = Math.Sqrt(w0.Sum(v => v * v));
            double update = Math.Sqrt(Enumerable.Range(0, info.Length).Sum(i => (w1[i] - w0[i]) * (w1[i] - w0[i])));
            double gradNorm = Math.Sqrt(net.Gradient(info.Name).ToArray().Sum(v => v * v));
            var s = monitor.ParameterStatistics[p];
            Close(gradNorm, s.GradientNorm, 1e-12, info.Name + " gradient norm");
            Close(weightNorm, s.WeightNorm, 1e-12, info.Name + " weight norm");
            Close(update / weightNorm, s.UpdateRatio, 1e-9, info.Name + " update ratio");
            // SGD: Δw = −lr·g, so the ratio is lr·‖g‖/‖w‖
            Close(0.1 * gradNorm / weightNorm, s.UpdateRatio, 1e-9, info.Name + " update ratio vs lr·‖g‖/‖w‖");
        }
    }

    public static TheoryData<string> Optimizers => ["sgd-momentum", "adam", "adamw"];

    /// <summary>The optimizers add up the parameter statistics inside their update pass: on every sampled step the
    /// statistics must still equal a direct computation on the parameters before and after that step.</summary>
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ParameterStatisticsEqualADirectComputationWithEveryOptimizer(string kind)
    {
        const int batch = 5;
        var net = new InstrumentedStructures.Float64(batch, seed: 4);
        Optimizer<double> optimizer = kind switch
        {
            "sgd-momentum" => new Sgd<double>(net.ParameterCount, 0.05, momentum: 0.9, weightDecay: 0.01),
            "adam" => new Adam<double>(net.ParameterCount, 1e-2, weightDecay: 0.01),
            _ => new AdamW<double>(net.ParameterCount, 1e-2, weightDecay: 0.1),
        };
        double[] x = Random(batch * 6, 5), y = Random(batch * 2, 6);
        for (int step = 0; step < 3; step++)
        {
            var before = net.Parameters.ToArray();
            net.TrainStep(x, y, optimizer);
            var after = net.Parameters.ToArray();
            for (int p = 0; p < net.ParameterTable.Count; p++)
            {
                var info = net.ParameterTable[p];
                double weights = 0, update = 0, grads = 0;
                for (int i = info.Offset; i < info.Offset + info.Length; i++)
                {
                    weights += before[i] * before[i];
                    update += (after[i] - before[i]) * (after[i] - before[i]);
                }
                foreach (double g in net.Gradient(info.Name)) grads += g * g;
                var s = net.Monitor!.ParameterStatistics[p];
                string name = $"{kind} step {step + 1} {info.Name}";
                Close(Math.Sqrt(grads), s.GradientNorm, 1e-12, name + " gradient norm");
                Close(Math.Sqrt(weights), s.WeightNorm, 1e-12, name + " weight norm");
                Close(Math.Sqrt(update) / Math.Sqrt(weights), s.UpdateRatio, 1e-9, name + " update ratio");
                Assert.True(update > 0, name + ": no update, so the ratio would be checked against nothing");
            }
        }
    }

    [Fact]
    public void SaturationIsCountedForSigmoidAndTanhLayers()
    {
        const int batch = 16;
        var net = new InstrumentedStructures.Float64(batch, seed: 5);
        // large inputs saturate the first layer's tanh
        net.TrainStep(Random(batch * 6, 7, scale: 50), Random(batch * 2, 8), new Sgd<double>(net.ParameterCount, 0.0));
        var first = net.LayerTable[0];
        Assert.Equal(Saturation.Tanh, first.Saturation);
        var expected = StatisticsReference.Activations<double>(net.CopyLayerOutput(first), batch, first.Width, first.Width, Saturation.Tanh);
        Assert.True(expected.SaturatedFraction > 0.5, $"{expected.SaturatedFraction}");
        Assert.Equal(expected.SaturatedFraction, net.Monitor!.Activations[0].SaturatedFraction);
        Assert.Contains(net.LayerTable, l => l.Saturation == Saturation.Sigmoid);
    }

    [Fact]
    public void Float32StatisticsAgreeWithTheReferenceToFloatPrecision()
    {
        const int batch = 9;
        var net = new InstrumentedStructures(batch, seed: 3);
        net.TrainStep(ToFloat(Random(batch * 6, 1)), ToFloat(Random(batch * 2, 2)), new Sgd<float>(net.ParameterCount, 0.1f));
        foreach (var layer in net.LayerTable)
        {
            var e = StatisticsReference.Activations<float>(net.CopyLayerOutput(layer), batch, layer.Width, layer.Width, layer.Saturation);
            var a = net.Monitor!.Activations[layer.Index];
            Close(e.Mean, a.Mean, 1e-5, $"{layer.Name} mean");
            Close(e.Std, a.Std, 1e-4, $"{layer.Name} std");
            var g = StatisticsReference.Gradients<float>(net.CopyLayerOutputGradient(layer), batch, layer.Width, layer.Width);
            Close(g.L2Norm, net.Monitor.Gradients[layer.Index].L2Norm, 1e-5, $"{layer.Name} gradient L2");
        }
    }

    [Fact]
    public void OnlyEveryNthStepIsSampledAndTheHistoryStaysWithinItsCapacity()
    {
        const int batch = 4;
        var net = new MonitoredSmallMlp(batch, seed: 1);
        var monitor = net.Monitor!;
        monitor.SampleEvery = 3;
        var observed = new List<long>();
        monitor.AddObserver(new Observer(m => observed.Add(m.Step)));
        var x = ToFloat(Random(batch * 20, 4));
        int[] y = { 0, 1, 2, 3 };
        var sgd = new Sgd<float>(net.ParameterCount, 0.01f);
        for (int i = 0; i < 3000; i++) net.TrainStep(x, y, sgd);
        Assert.Equal(3000, monitor.Step);
        Assert.Equal(1000, observed.Count);
        Assert.Equal(new long[] { 1, 4, 7 }, observed.Take(3));
        var history = monitor.History;
        Assert.True(history.Count <= history.Capacity);
        Assert.True(history.Count > history.Capacity / 2 - 1, $"{history.Count} kept of {history.Capacity}");
        // evenly spaced over the whole run
        long spacing = history.StepAt(1) - history.StepAt(0);
        for (int i = 1; i < history.Count; i++) Assert.Equal(spacing, history.StepAt(i) - history.StepAt(i - 1));
        Assert.True(history.StepAt(history.Count - 1) > 2500, $"last kept step {history.StepAt(history.Count - 1)}");
        Assert.True(double.IsFinite(history.LossAt(history.Count - 1)));
        Assert.Contains("‖Δw‖/‖w‖", monitor.FormatTable());
    }

    [Fact]
    public void SampledAndUnsampledStepsAllocateNothing()
    {
        const int batch = 8;
        var net = new MonitoredSmallMlp(batch, seed: 2);
        net.Monitor!.SampleEvery = 2;
        var x = ToFloat(Random(batch * 20, 4));
        int[] y = Enumerable.Range(0, batch).Select(i => i % 4).ToArray();
        var sgd = new Sgd<float>(net.ParameterCount, 0.01f);
        for (int i = 0; i < 2000; i++) net.TrainStep(x, y, sgd); // warm up past tiered compilation, fill the history
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) net.TrainStep(x, y, sgd);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void InstrumentationIsOffUnlessDeclared()
    {
        var plain = new MlpReluCe(4);
        Assert.Equal(Instrumentation.None, plain.Instrumentation);
        Assert.Null(plain.Monitor);
        Assert.Empty(plain.LayerTable);
        var guarded = new GuardedNet(4);
        Assert.Equal(Instrumentation.AnomalyDetection, guarded.Instrumentation);
        Assert.Null(guarded.Monitor);
        Assert.Equal(3, guarded.LayerTable.Count);
    }

    [Fact]
    public void ANaNInTheInputIsReportedAsTheInputsBeforeAnythingChanges()
    {
        var net = new GuardedNet.Float64(2, seed: 1);
        double[] x = Random(10, 1);
        x[7] = double.NaN;
        var before = net.Parameters.ToArray();
        var e = Assert.Throws<AnomalyException>(() => net.TrainStep(x, new double[4], new Sgd<double>(net.ParameterCount, 0.1)));
        Assert.Null(e.Report.Layer);
        Assert.Equal("input", e.Report.What);
        Assert.Equal((1, 2), (e.Report.Row, e.Report.Column));
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void ANaNWeightIsTracedToTheFirstLayerWhoseOutputItSpoils()
    {
        var net = new GuardedNet.Float64(2, seed: 1);
        net.Parameter("1.weight")[3] = double.PositiveInfinity;
        var e = Assert.Throws<AnomalyException>(() => net.Forward(Random(10, 1)));
        Assert.Equal(1, e.Report.Layer!.Index);
        Assert.Equal(new[] { "1.weight", "1.bias" }, e.Report.Layer.Parameters);
        Assert.Equal("InstrumentedNetworks.cs", e.Report.Layer.File);
        Assert.Equal(33, e.Report.Layer.Line); // the [Dense(6, Activation.Sigmoid)] of GuardedNet
        Assert.Contains("Dense(6, Activation.Sigmoid)", e.Message);
        Assert.Contains("InstrumentedNetworks.cs:33", e.Message);
    }

    [Fact]
    public void ANaNBornInTheBackwardPassNamesWhereItAppearedAndLeavesTheWeights()
    {
        var net = new GuardedNet.Float64(2, seed: 1);
        var targets = new double[4];
        targets[1] = double.NaN; // the loss's gradient is NaN; the forward pass is finite
        var before = net.Parameters.ToArray();
        var e = Assert.Throws<NonFiniteGradientException>(() => net.TrainStep(Random(10, 1), targets, new Sgd<double>(net.ParameterCount, 0.1)));
        Assert.NotNull(e.Anomaly);
        Assert.Equal("backward", e.Anomaly!.Pass);
        Assert.Equal("loss gradient", e.Anomaly.What);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    private sealed class Observer(Action<NetworkMonitor> onSample) : IMonitorObserver
    {
        public void OnSample(NetworkMonitor monitor) => onSample(monitor);
    }
}
