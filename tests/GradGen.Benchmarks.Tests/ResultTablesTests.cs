using System.Globalization;
using GradGen.Benchmarks.Suite;

namespace GradGen.Benchmarks.Tests;

/// <summary>The tables of docs/benchmarks.md from known measurements: the fractions of peak, the ratios to libtorch
/// (its widest code and held to the suite's width) and the interleaved check's per-round figures.</summary>
public class ResultTablesTests
{
    private static readonly MachineInfo Machine = new("Test CPU", "26", "X64", [512, 256, 128], "unset", "unset");

    [Fact]
    public void StepRowStatesLibTorchAtBothWidthsAgainstTheMeanAndTheFastestRun()
    {
        // The peak: Flops(512) per 20 µs; the MLP step 200 µs.
        double peakNs = 20_000, stepNs = 200_000;
        var results = new List<Measurement>
        {
            new(nameof(PeakFmaBenchmark), "Vector512Float", null, 32, peakNs, 0),
            new(nameof(SgdStepBenchmark), nameof(Variant.Generated), BenchmarkNetwork.Mlp, 32, stepNs, 0),
        };
        string name = BenchmarkNetworks.LibTorchName(BenchmarkNetwork.Mlp);
        var wide = new[] { Torch(name, 600), Torch(name, 400) };       // mean 500: 2.50×, fastest 2.00×
        var narrow = new[] { Torch(name, 1000), Torch(name, 1200) };   // mean 1100: 5.50×, fastest 5.00×

        string tables = ResultTables.Write(new SavedRun(Machine, DateTime.UtcNow, results), wide, narrow);

        long flops = BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Mlp, BenchmarkNetworks.StepBatch);
        double fraction = flops / stepNs / (PeakFmaBenchmark.Flops(512) / peakNs);
        string row = tables.Split('\n').Single(l => l.StartsWith("| Mlp |", StringComparison.Ordinal));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"| {fraction * 100:F0}% |"), row);
        Assert.Contains("| 500.0 µs | 2.50 (2.00) |", row);
        Assert.Contains("| 1.10 ms | 5.50 (5.00) |", row);
        Assert.Contains("libtorch at 512 bits (mean of 2 runs)", tables);
    }

    [Fact]
    public void InterleavedCheckStatesEachRoundAgainstItsOwnPeak()
    {
        long flops = BenchmarkNetworks.TrainStepFlops(BenchmarkNetwork.Residual, BenchmarkNetworks.StepBatch);
        // Three rounds whose step is exactly 60%, 70% and 80% of the peak timed in the same round, the peak moving.
        double[] peaks = [200, 220, 180];
        double[] fractions = [0.6, 0.7, 0.8];
        double[] generated = peaks.Zip(fractions, (p, f) => flops / (f * p) / 1e3).ToArray();
        double[] expert = generated.Zip(new[] { 1.5, 0.9, 1.2 }, (g, r) => g * r).ToArray();
        var check = new AlternatingCheck(BenchmarkNetwork.Residual, "step", 3, generated.Min(), expert.Min(),
            AlternateCommand.Median(generated), AlternateCommand.Median(expert), generated.Min(), expert.Min())
        {
            GeneratedRounds = generated,
            ExpertRounds = expert,
            PeakRounds = peaks,
            PeakWidth = 512,
        };
        Assert.Equal(fractions, check.FractionsOfPeak(flops), (a, b) => Math.Abs(a - b) < 1e-12);

        string tables = ResultTables.Write(new SavedRun(Machine, DateTime.UtcNow, [], [check]), []);

        string row = tables.Split('\n').Single(l => l.StartsWith("| Residual | step, batch 32 |", StringComparison.Ordinal));
        Assert.Contains("| 70% (60%–80%) |", row);
        Assert.Contains("| 1.20× (0.90×) |", row);
    }

    [Fact]
    public void InterleavedCheckTimesThePeakInEveryRound()
    {
        var check = AlternateCommand.Measure(BenchmarkNetwork.DenseConcat, "forward", rounds: 2, batch: 1);

        Assert.Equal(2, check.GeneratedRounds.Length);
        Assert.Equal(2, check.ExpertRounds.Length);
        Assert.Equal(2, check.PeakRounds.Length);
        Assert.Equal(MachineInfo.Current().Width, check.PeakWidth);
        Assert.Equal(1, check.Batch);
        Assert.Equal(BenchmarkNetworks.ForwardFlops(BenchmarkNetwork.DenseConcat, 1), check.Flops);
        if (check.PeakWidth > 0) Assert.All(check.PeakRounds, gflops => Assert.True(gflops > 0 && double.IsFinite(gflops)));
        Assert.All(check.GeneratedRounds.Concat(check.ExpertRounds), us => Assert.True(us > 0));
    }

    private static LibTorchRun Torch(string name, double microseconds) =>
        new("test", new Dictionary<string, double> { [name] = microseconds });
}
