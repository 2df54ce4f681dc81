using GradGen.Diagnostics;
using GradGen.Tests.Networks;

namespace GradGen.Tests;

/// <summary>The gradient noise scale against brute force over per-sample gradients (a batch of one sample each), and the
/// per-layer covariance statistics against a direct computation from the per-batch gradients.</summary>
public class GradientNoiseTests
{
    private const int Inputs = 12, Classes = 4;

    private static (double[] X, int[] Y) Data(int samples, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[samples * Inputs];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextNormal();
        var y = new int[samples];
        for (int i = 0; i < samples; i++) y[i] = rng.NextInt(Classes);
        return (x, y);
    }

    /// <summary>The gradient of the mean loss over samples [start, start + count), in float64.</summary>
    private static double[] BatchGradient(DoctorSmallPlain.Float64 net, double[] x, int[] y, int start, int count)
    {
        net.ZeroGradients();
        net.ComputeGradients(x.AsSpan(start * Inputs, count * Inputs), y.AsSpan(start, count));
        return net.Gradients.ToArray();
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static void Relative(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void WithSingleSamplesAndTheWholeSetAsOneBigBatchTheEstimatesAreTheSampleMeanAndCovarianceOfThePerSampleGradients()
    {
        const int n = 24;
        var net = new DoctorSmallPlain.Float64(n, seed: 1);
        var (x, y) = Data(n, 2);
        var perSample = Enumerable.Range(0, n).Select(i => BatchGradient(net, x, y, i, 1)).ToArray();
        var mean = new double[net.ParameterCount];
        foreach (var g in perSample) for (int i = 0; i < mean.Length; i++) mean[i] += g[i] / n;
        // The unbiased sample covariance's trace, (1/(n−1))·Σ|g_i − Ḡ|², and the unbiased |G|², |Ḡ|² − tr Σ / n.
        double trace = perSample.Sum(g => g.Select((v, i) => (v - mean[i]) * (v - mean[i])).Sum()) / (n - 1);
        double gradientSquared = Dot(mean, mean) - trace / n;

        var estimate = GradientNoise.NoiseScale(net, x, y, smallBatch: 1, bigBatch: n);

        Assert.Equal(1, estimate.BigBatches);
        Relative(Dot(mean, mean), estimate.BigNormSquared, 1e-12, "|G_big|²");
        Relative(perSample.Average(g => Dot(g, g)), estimate.SmallNormSquared, 1e-12, "|G_small|²");
        Relative(trace, estimate.TraceCovariance, 1e-10, "tr Σ");
        Relative(gradientSquared, estimate.GradientNormSquared, 1e-10, "|G|²");
        Relative(trace / gradientSquared, estimate.SimpleNoiseScale, 1e-9, "B_simple");
    }

    [Fact]
    public void OnBatchesDrawnWithReplacementTheEstimatesConvergeToThePopulationsAndTheNaiveOnesDoNot()
    {
        // The population: 64 samples, whose per-sample gradients give the true G and Σ (divided by n: a population).
        const int n = 64, small = 4, big = 16, bigBatches = 400;
        var net = new DoctorSmallPlain.Float64(big, seed: 1);
        var (x, y) = Data(n, 3);
        var perSample = Enumerable.Range(0, n).Select(i => BatchGradient(net, x, y, i, 1)).ToArray();
        var mean = new double[net.ParameterCount];
        foreach (var g in perSample) for (int i = 0; i < mean.Length; i++) mean[i] += g[i] / n;
        double trueTrace = perSample.Sum(g => g.Select((v, i) => (v - mean[i]) * (v - mean[i])).Sum()) / n;
        double trueSquared = Dot(mean, mean);

        // Batches drawn independently from it, as the estimator assumes.
        var rng = new Rng(4);
        var drawn = Enumerable.Range(0, bigBatches * big).Select(_ => rng.NextInt(n)).ToArray();
        var xs = drawn.SelectMany(i => x.Skip(i * Inputs).Take(Inputs)).ToArray();
        var ys = drawn.Select(i => y[i]).ToArray();
        var estimate = GradientNoise.NoiseScale(net, xs, ys, small, big);

        Assert.Equal(bigBatches, estimate.BigBatches);
        Relative(trueTrace, estimate.TraceCovariance, 0.02, "tr Σ"); // measured: 0.1%, |G|² 4.6%, B_simple 4.4%
        Relative(trueSquared, estimate.GradientNormSquared, 0.10, "|G|²");
        Relative(trueTrace / trueSquared, estimate.SimpleNoiseScale, 0.15, "B_simple");
        // Without the correction, |G_big|² overestimates |G|² by tr Σ / B_big: here by far more than the tolerance.
        Assert.True(estimate.BigNormSquared > 1.5 * trueSquared, $"|G_big|² = {estimate.BigNormSquared}, |G|² = {trueSquared}");
    }

    [Fact]
    public void NoiseScaleRefusesBatchSizesItCannotUse()
    {
        var net = new DoctorSmallPlain.Float64(8, seed: 1);
        var (x, y) = Data(32, 2);
        Assert.Equal("bigBatch", Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.NoiseScale(net, x, y, 4, 6)).ParamName);
        Assert.Equal("bigBatch", Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.NoiseScale(net, x, y, 4, 4)).ParamName);
        Assert.Equal("bigBatch", Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.NoiseScale(net, x, y, 4, 64)).ParamName);
        Assert.Equal("batchSize", Assert.Throws<ArgumentOutOfRangeException>(() => GradientNoise.NoiseScale(net, x, y, 16, 32)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => GradientNoise.NoiseScale(net, x, y.AsSpan(0, 31), 4, 8)).ParamName);
    }

    [Fact]
    public void StatisticsLeaveTheGradientsAndParametersAsTheyWere()
    {
        var net = new DoctorSmallPlain.Float64(8, seed: 1);
        var (x, y) = Data(32, 2);
        BatchGradient(net, x, y, 0, 8);
        var gradients = net.Gradients.ToArray();
        var parameters = net.Parameters.ToArray();
        GradientNoise.NoiseScale(net, x, y, 2, 8);
        GradientNoise.Covariance(net, x, y, 4);
        Assert.Equal(gradients, net.Gradients.ToArray());
        Assert.Equal(parameters, net.Parameters.ToArray());
    }

    /// <summary>The Pearson correlation of two series, the textbook way.</summary>
    private static double Pearson(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = 0, va = 0, vb = 0;
        for (int k = 0; k < a.Length; k++)
        {
            cov += (a[k] - ma) * (b[k] - mb);
            va += (a[k] - ma) * (a[k] - ma);
            vb += (b[k] - mb) * (b[k] - mb);
        }
        return cov / Math.Sqrt(va * vb);
    }

    [Theory]
    [InlineData(1000, 0UL)] // every parameter of every layer (the largest has 272)
    [InlineData(40, 7UL)]   // a seeded sample of 40 per layer
    public void TheCovarianceStatisticsEqualADirectComputation(int maxSampled, ulong seed)
    {
        const int batch = 4, batches = 10;
        var net = new DoctorSmallPlain.Float64(batch, seed: 1);
        var (x, y) = Data(batch * batches, 2);
        var perBatch = Enumerable.Range(0, batches).Select(k => BatchGradient(net, x, y, k * batch, batch)).ToArray();

        var stats = GradientNoise.Covariance(net, x, y, batch, maxSampled, seed);

        Assert.Equal(["0", "1", "2"], stats.Select(s => s.Layer));
        var rng = new Rng(seed);
        foreach (var s in stats)
        {
            var offsets = net.ParameterTable.Where(p => p.Name.StartsWith(s.Layer + ".", StringComparison.Ordinal))
                .SelectMany(p => Enumerable.Range(p.Offset, p.Length)).ToList();
            Assert.Equal(offsets.Count, s.Parameters);
            Assert.Equal(batches, s.Batches);
            var series = offsets.Select(i => perBatch.Select(g => g[i]).ToArray()).ToList();
            double magnitude = series.Average(v => Math.Abs(v.Average()));
            double variance = series.Average(v => v.Sum(g => (g - v.Average()) * (g - v.Average())) / (batches - 1));
            Relative(magnitude, s.MeanMagnitude, 1e-12, $"layer {s.Layer} mean magnitude");
            Relative(variance, s.Variance, 1e-9, $"layer {s.Layer} variance");

            var sample = GradientNoise.SampleIndices(offsets, maxSampled, ref rng);
            Assert.Equal(Math.Min(maxSampled, offsets.Count), s.Sampled);
            Assert.Equal(sample.Length, sample.Distinct().Count());
            var columns = sample.Select(i => perBatch.Select(g => g[i]).ToArray()).Where(v => v.Any(g => g != v[0])).ToList();
            Assert.Equal(sample.Length - columns.Count, s.Constant);
            var r = new List<double>();
            for (int p = 0; p < columns.Count; p++)
                for (int q = p + 1; q < columns.Count; q++) r.Add(Pearson(columns[p], columns[q]));
            Relative(r.Average(), s.MeanCorrelation, 1e-9, $"layer {s.Layer} mean correlation");
            Relative(r.Average(Math.Abs), s.MeanAbsoluteCorrelation, 1e-10, $"layer {s.Layer} mean |correlation|");
        }
    }

    [Fact]
    public void TheSampleIsReproducibleFromItsSeedAndDiffersWithAnother()
    {
        var net = new DoctorSmallPlain.Float64(4, seed: 1);
        var (x, y) = Data(40, 2);
        var a = GradientNoise.Covariance(net, x, y, 4, maxSampled: 30, seed: 5);
        var b = GradientNoise.Covariance(net, x, y, 4, maxSampled: 30, seed: 5);
        var c = GradientNoise.Covariance(net, x, y, 4, maxSampled: 30, seed: 6);
        Assert.Equal(a, b);
        Assert.NotEqual(a[0].MeanCorrelation, c[0].MeanCorrelation);
        Assert.Equal(a[0].MeanMagnitude, c[0].MeanMagnitude); // over every parameter: not sampled
    }

    [Fact]
    public void ParametersWithoutGradientAreConstantAndHaveNoCorrelation()
    {
        var net = new DoctorSmallPlain.Float64(4, seed: 1);
        net.Parameter("1.weight").Clear(); // layer 0 gets a zero gradient in every batch
        var (x, y) = Data(40, 2);
        var s = GradientNoise.Covariance(net, x, y, 4)[0];
        Assert.Equal(s.Parameters, s.Constant);
        Assert.Equal(0, s.MeanMagnitude);
        Assert.Equal(0, s.Variance);
        Assert.True(double.IsNaN(s.MeanCorrelation));
    }
}
