using System.Globalization;
using GradGen.Curvature;
using GradGen.Dashboard;
using GradGen.Data;
using GradGen.Diagnostics;
using GradGen.Plots;

namespace GradGen.Samples.FashionMnist;

/// <summary>--doctor: the gradient doctor's diagnosis and suggestions before training, and the gradient statistics
/// across batches and the Hessian's spectrum after it (docs/doctor.md and docs/hessian.md explain every number).</summary>
internal static class Doctor
{
    /// <summary>Training images in the diagnosed batch.</summary>
    public const int DiagnosisBatch = 128;

    /// <summary>B_small and B_big of the noise scale, and at most this many training images for it.</summary>
    public const int SmallBatch = 16, BigBatch = 256, StatisticsImages = 8192;

    /// <summary>Batch size of the per-layer covariance statistics.</summary>
    public const int CovarianceBatch = 64;

    /// <summary>Training images in the batch whose loss Hessian is analysed after training.</summary>
    public const int HessianBatch = 32;

    /// <summary>Diagnoses the first training images (at most <see cref="DiagnosisBatch"/>) and writes the report and the
    /// suggestions to <paramref name="output"/>. Nothing in the network changes.</summary>
    public static Diagnosis BeforeTraining(FashionClassifier network, DataSet train, TextWriter output)
    {
        int n = Math.Min(Math.Min(DiagnosisBatch, train.Count), network.MaxBatch);
        var diagnosis = GradientDoctor.Diagnose(network, train.Features.AsSpan(0, n * train.FeatureSize), train.Labels.AsSpan(0, n), FashionClassifier.Forecast);
        output.WriteLine("Gradient doctor, before training:");
        output.Write(diagnosis.FormatTable());
        var suggestions = GradientDoctor.Suggest(diagnosis);
        if (suggestions.Count == 0) output.WriteLine("No fixes needed.");
        foreach (var suggestion in suggestions) output.WriteLine("fix: " + suggestion);
        output.WriteLine();
        return diagnosis;
    }

    /// <summary>With --dashboard: diagnoses the first training images (as <see cref="BeforeTraining"/>, without printing)
    /// and shows the findings on the page, which replace the previous ones. A forward and backward pass on at most
    /// <see cref="DiagnosisBatch"/> images.</summary>
    public static void PublishTo(RunFeed run, FashionClassifier network, DataSet train, long step)
    {
        int n = Math.Min(Math.Min(DiagnosisBatch, train.Count), network.MaxBatch);
        run.PublishDiagnosis(step, GradientDoctor.Diagnose(network, train.Features.AsSpan(0, n * train.FeatureSize), train.Labels.AsSpan(0, n), FashionClassifier.Forecast));
    }

    /// <summary>The dashboard's diagnoses during training, kept to at most <see cref="DiagnosisShare"/> of the training
    /// thread's time. A diagnosis takes about 4 ms on the 784-256-128-64-10 network; an epoch of the embedded split
    /// takes 60 ms, so one diagnosis per epoch would cost the training thread 6%, against the dashboard's 2%.</summary>
    public sealed class Schedule(RunFeed run, FashionClassifier network, DataSet train)
    {
        /// <summary>The share of the training thread's time that diagnoses may take.</summary>
        public const double DiagnosisShare = 0.005;

        /// <summary>The longest wait between two diagnoses, however long the last one took.</summary>
        public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(10);

        private long _lastEnd = System.Diagnostics.Stopwatch.GetTimestamp();
        private TimeSpan _wait = TimeSpan.Zero;
        private long _diagnosedStep = -1;

        /// <summary>After an epoch: diagnoses if enough training has passed since the last diagnosis.</summary>
        public void AfterEpoch(long step)
        {
            if (System.Diagnostics.Stopwatch.GetElapsedTime(_lastEnd) >= _wait) Diagnose(step);
        }

        /// <summary>After training: diagnoses the final weights, unless the last epoch's diagnosis already did.</summary>
        public void AfterTraining(long step)
        {
            if (_diagnosedStep != step) Diagnose(step);
        }

        private void Diagnose(long step)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            PublishTo(run, network, train, step);
            _lastEnd = System.Diagnostics.Stopwatch.GetTimestamp();
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(start, _lastEnd);
            _wait = TimeSpan.FromTicks(Math.Min(MaxInterval.Ticks, (long)(took.Ticks * (1 / DiagnosisShare - 1))));
            _diagnosedStep = step;
        }
    }

    /// <summary>The gradient noise scale and the per-layer gradient statistics over the first training images (at most
    /// <see cref="StatisticsImages"/>, a whole number of big batches); null, with a line saying why, when there are
    /// fewer than <see cref="BigBatch"/>.</summary>
    public static NoiseScaleEstimate? AfterTraining(FashionClassifier network, DataSet train, TextWriter output)
    {
        int images = Math.Min(StatisticsImages, train.Count) / BigBatch * BigBatch;
        if (images == 0)
        {
            output.WriteLine($"Gradient statistics need at least {BigBatch} training images; there are {train.Count}.");
            return null;
        }
        var features = train.Features.AsSpan(0, images * train.FeatureSize);
        var labels = train.Labels.AsSpan(0, images);
        var ci = CultureInfo.InvariantCulture;
        var noise = GradientNoise.NoiseScale(network, features, labels, SmallBatch, BigBatch);
        output.WriteLine(string.Create(ci, $"Gradient noise scale after training (McCandlish et al. 2018), over {images:N0} training images in batches of {SmallBatch} and {BigBatch}:"));
        output.WriteLine(string.Create(ci, $"  |G|² ≈ {noise.GradientNormSquared:G4}, tr Σ ≈ {noise.TraceCovariance:G4}, B_simple = tr Σ / |G|² ≈ {noise.SimpleNoiseScale:G4}"));
        output.WriteLine(string.Create(ci, $"  (batches much larger than B_simple give little more progress per step; much smaller ones are mostly noise)"));
        output.WriteLine(string.Create(ci, $"Gradient statistics per layer over {images / CovarianceBatch} batches of {CovarianceBatch}:"));
        output.WriteLine(string.Create(ci, $"  {"layer",-6} {"params",8} {"mean |ḡ|",10} {"variance",10} {"sampled",8} {"mean r",8} {"mean |r|",8}"));
        foreach (var s in GradientNoise.Covariance(network, features, labels, CovarianceBatch))
            output.WriteLine(string.Create(ci, $"  {s.Layer,-6} {s.Parameters,8:N0} {s.MeanMagnitude,10:0.00E+0} {s.Variance,10:0.00E+0} {s.Sampled,8:N0} {s.MeanCorrelation,8:F3} {s.MeanAbsoluteCorrelation,8:F3}"));
        // For K independent normal series, |r| has mean √(2/(π(K−1))): the level of mean |r| that means "no correlation".
        int batches = images / CovarianceBatch;
        output.WriteLine(string.Create(ci, $"  (uncorrelated parameters would give mean |r| ≈ √(2/(π·{batches - 1})) = {Math.Sqrt(2 / (Math.PI * (batches - 1))):F3})"));
        return noise;
    }

    /// <summary>The Hessian of the mean loss on the first <see cref="HessianBatch"/> training images: its top eigenvalues
    /// (Lanczos), trace (Hutchinson) and eigenvalue density (stochastic Lanczos quadrature), written to
    /// <paramref name="output"/>, and the density plot as DIR/hessian-spectrum.png and .svg.</summary>
    public static CurvatureReport Hessian(FashionClassifier network, DataSet train, string directory, TextWriter output)
    {
        int n = Math.Min(HessianBatch, train.Count);
        var report = HessianAnalysis.Analyze(network, train.Features.AsSpan(0, n * train.FeatureSize), train.Labels.AsSpan(0, n));
        output.WriteLine(report);
        var (grid, density) = report.Density.Smoothed();
        var files = CurvaturePlots.WriteSpectralDensity(grid, density, report.TopEigenvalues.Select(r => r.Value).ToArray(),
            directory, "FashionClassifier after training");
        output.WriteLine($"Wrote {files.Png} and {Path.GetFileName(files.Svg)}");
        return report;
    }
}
