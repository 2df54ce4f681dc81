using GradGen.Diagnostics;
using GradGen.Samples.FashionMnist;

namespace GradGen.Samples.Tests;

/// <summary>--doctor on the embedded Fashion-MNIST split, normalised as the sample normalises it: the diagnosis before
/// training and the gradient statistics after it.</summary>
public class FashionMnistDoctorTests
{
    private static GradGen.Data.DataSet Train()
    {
        var train = TrainingData.Load(null, forceEmbedded: true).Train;
        var (mean, std) = train.ComputeMeanStd();
        train.Normalize(mean, std);
        return train;
    }

    [Fact]
    public void BeforeTrainingTheMlpAtItsDefaultInitialisationIsHealthyAndNothingChanges()
    {
        var network = new FashionClassifier(256, seed: 1);
        var parameters = network.Parameters.ToArray();
        var output = new StringWriter();

        var diagnosis = Doctor.BeforeTraining(network, Train(), output);

        Assert.True(diagnosis.IsHealthy, output.ToString());
        Assert.Equal(Doctor.DiagnosisBatch, diagnosis.Batch);
        Assert.Equal("monitor statistics", diagnosis.Source);
        Assert.Equal(["0", "1", "2", "3"], diagnosis.Layers.Select(l => l.Name));
        Assert.Equal(FashionClassifier.Forecast.GradientRatio, diagnosis.ForecastGradientRatio);
        Assert.Contains("No fixes needed.", output.ToString());
        Assert.Equal(parameters, network.Parameters.ToArray());
        Assert.Equal(0, network.Monitor!.Step);
    }

    [Fact]
    public void AfterTrainingTheNoiseScaleAndEachLayersStatisticsArePrinted()
    {
        var network = new FashionClassifier(256, seed: 1);
        var train = Train();
        var output = new StringWriter();

        var noise = Doctor.AfterTraining(network, train, output);

        Assert.NotNull(noise);
        int images = Math.Min(Doctor.StatisticsImages, train.Count) / Doctor.BigBatch * Doctor.BigBatch;
        Assert.Equal(images / Doctor.BigBatch, noise.BigBatches);
        Assert.True(noise.SimpleNoiseScale > 0 && double.IsFinite(noise.SimpleNoiseScale), output.ToString());
        Assert.Equal(GradientNoise.NoiseScale(network, train.Features.AsSpan(0, images * 784), train.Labels.AsSpan(0, images),
            Doctor.SmallBatch, Doctor.BigBatch), noise);
        string text = output.ToString();
        Assert.Contains("B_simple = tr Σ / |G|² ≈ ", text);
        foreach (string layer in new[] { "0", "1", "2", "3" })
            Assert.Matches($@"\n  {layer} +[0-9,]+ ", text);
    }

    [Fact]
    public void AfterTrainingTheHessiansTopEigenvaluesAndDensityPlotAreWritten()
    {
        var network = new FashionClassifier(256, seed: 1);
        var train = Train();
        var output = new StringWriter();
        string directory = Path.Combine(Path.GetTempPath(), "gradgen-doctor-hessian-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = Doctor.Hessian(network, train, directory, output);

            Assert.Equal(5, report.TopEigenvalues.Length);
            Assert.Equal(Doctor.HessianBatch, report.BatchSize);
            // λ_max bounds every Rayleigh quotient from above: check it against one, on the same batch.
            var hessian = Curvature.HessianOperator.Create(network, train.Features.AsSpan(0, Doctor.HessianBatch * 784), train.Labels.AsSpan(0, Doctor.HessianBatch));
            var rng = new Rng(4);
            var v = Enumerable.Range(0, hessian.Dimension).Select(_ => rng.NextNormal()).ToArray();
            var hv = new double[v.Length];
            hessian.Multiply(v, hv);
            double rayleigh = v.Select((x, i) => x * hv[i]).Sum() / v.Sum(x => x * x);
            Assert.True(report.TopEigenvalues[0].Value >= rayleigh, $"λ_max {report.TopEigenvalues[0].Value} below a Rayleigh quotient {rayleigh}");
            string text = output.ToString();
            Assert.Contains("top eigenvalues (Lanczos): " + report.TopEigenvalues[0].Value.ToString("G5", System.Globalization.CultureInfo.InvariantCulture), text);
            Assert.True(File.Exists(Path.Combine(directory, "hessian-spectrum.png")), text);
            Assert.True(File.Exists(Path.Combine(directory, "hessian-spectrum.svg")), text);
        }
        finally
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void WithFewerImagesThanABigBatchItSaysSo()
    {
        var output = new StringWriter();
        Assert.Null(Doctor.AfterTraining(new FashionClassifier(16, seed: 1), Train().Slice(0, 100), output));
        Assert.Equal($"Gradient statistics need at least {Doctor.BigBatch} training images; there are 100.", output.ToString().Trim());
    }
}
