using System.Numerics;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen.Diagnostics;

/// <summary>The gradient noise scale of McCandlish et al. 2018 ("An Empirical Model of Large-Batch Training"), estimated
/// from the gradients of small and big batches (docs/doctor.md derives it).</summary>
/// <param name="SmallBatch">B_small.</param>
/// <param name="BigBatch">B_big, a multiple of B_small: each big batch is the union of B_big / B_small small ones.</param>
/// <param name="BigBatches">How many big batches the data held (the samples after the last whole one are not used).</param>
/// <param name="SmallNormSquared">|G_small|², averaged over every small batch.</param>
/// <param name="BigNormSquared">|G_big|², averaged over every big batch.</param>
/// <param name="GradientNormSquared">The unbiased estimate of |G|², the true gradient's squared norm:
/// (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small).</param>
/// <param name="TraceCovariance">The unbiased estimate of tr Σ, Σ the per-sample gradients' covariance:
/// (|G_small|² − |G_big|²) / (1/B_small − 1/B_big).</param>
/// <param name="SimpleNoiseScale">B_simple = tr Σ / |G|²: the batch size at which the gradient's noise and its signal are
/// of the same size. The ratio of the two unbiased estimates, so itself only consistent, not unbiased.</param>
public sealed record NoiseScaleEstimate(int SmallBatch, int BigBatch, int BigBatches, double SmallNormSquared, double BigNormSquared,
    double GradientNormSquared, double TraceCovariance, double SimpleNoiseScale);

/// <summary>One layer's gradients across batches: the layer's parameters (all of its tensors) seen as random variables
/// over the batches of a data set.</summary>
/// <param name="Layer">The module name ("0", "3.fc1"): its parameters' names without the last ".weight", ".bias", ….</param>
/// <param name="Parameters">Scalars in the layer.</param>
/// <param name="Batches">K, the batches the statistics are over.</param>
/// <param name="MeanMagnitude">(1/P)·Σ_p |ḡ_p|, ḡ_p the mean over the batches of parameter p's gradient: the signal.</param>
/// <param name="Variance">(1/P)·Σ_p s_p², s_p² the variance over the batches (divided by K − 1): the noise.</param>
/// <param name="Sampled">The parameters the correlations are over: all, or a seeded sample of at most the requested number.</param>
/// <param name="Constant">Sampled parameters whose gradient is the same in every batch (no correlation is defined for them).</param>
/// <param name="MeanCorrelation">The mean of the Pearson correlations r_pq over all pairs p &lt; q of the other sampled parameters.</param>
/// <param name="MeanAbsoluteCorrelation">The mean of |r_pq| over the same pairs.</param>
public sealed record LayerGradientStatistics(string Layer, int Parameters, int Batches, double MeanMagnitude, double Variance, int Sampled, int Constant,
    double MeanCorrelation, double MeanAbsoluteCorrelation);

/// <summary>Statistics of a network's gradients across batches: <see cref="NoiseScale{T, TTarget}"/> and
/// <see cref="Covariance{T, TTarget}"/>. Each computes one gradient per batch (forward, loss, backward, in order over
/// the data: shuffle it first if it is sorted), never updates the parameters, and puts the gradients back as they were.</summary>
public static class GradientNoise
{
    /// <summary>Estimates B_simple over <paramref name="inputs"/> and <paramref name="targets"/> (the same samples,
    /// row-major), with batches of <paramref name="smallBatch"/> and <paramref name="bigBatch"/> samples.</summary>
    public static NoiseScaleEstimate NoiseScale<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets,
        int smallBatch, int bigBatch)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        int samples = CheckData(network, inputs, targets, smallBatch);
        if (bigBatch <= smallBatch || bigBatch % smallBatch != 0)
            throw new ArgumentOutOfRangeException(nameof(bigBatch), bigBatch, $"the big batch must be a multiple of the small batch ({smallBatch}) above it");
        if (bigBatch > samples)
            throw new ArgumentOutOfRangeException(nameof(bigBatch), bigBatch, $"the data holds {samples} samples, fewer than one big batch");

        int perBig = bigBatch / smallBatch, bigBatches = samples / bigBatch;
        var bigGradient = new double[network.ParameterCount];
        double smallSum = 0, bigSum = 0;
        int small = 0;
        ForEachBatchGradient(network, inputs, targets, smallBatch, bigBatches * perBig, gradients =>
        {
            smallSum += StatisticsKernels.SumOfSquares(gradients);
            for (int i = 0; i < gradients.Length; i++) bigGradient[i] += double.CreateTruncating(gradients[i]);
            if (++small % perBig != 0) return;
            // The loss is a mean over the batch, so the big batch's gradient is the mean of its small batches' gradients.
            double squared = 0;
            foreach (double g in bigGradient) squared += g * g;
            bigSum += squared / ((double)perBig * perBig);
            Array.Clear(bigGradient);
        });
        double smallSquared = smallSum / small, bigSquared = bigSum / bigBatches;
        // McCandlish et al. 2018, appendix A.1: E|G_B|² = |G|² + tr Σ / B for a batch of B samples drawn independently.
        // Two batch sizes give two equations in the two unknowns; these are their solution.
        double gradientSquared = (bigBatch * bigSquared - smallBatch * smallSquared) / (bigBatch - smallBatch);
        double trace = (smallSquared - bigSquared) / (1.0 / smallBatch - 1.0 / bigBatch);
        return new NoiseScaleEstimate(smallBatch, bigBatch, bigBatches, smallSquared, bigSquared, gradientSquared, trace, trace / gradientSquared);
    }

    /// <summary>Per layer: the mean gradient magnitude, the gradient variance and the average correlation between its
    /// parameters, over the batches of <paramref name="batchSize"/> samples in the data. Correlations are over every
    /// parameter of a layer with at most <paramref name="maxSampled"/>, else over a sample of that many drawn without
    /// replacement from <paramref name="seed"/> (the same seed gives the same sample).</summary>
    public static IReadOnlyList<LayerGradientStatistics> Covariance<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> inputs,
        ReadOnlySpan<TTarget> targets, int batchSize, int maxSampled = 1000, ulong seed = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        ArgumentNullException.ThrowIfNull(network);
        int samples = CheckData(network, inputs, targets, batchSize);
        int batches = samples / batchSize;
        if (batches < 2) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"the data holds {samples} samples: fewer than two batches, so no variance");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSampled, 2);

        var layers = Layers(network.ParameterTable);
        var rng = new Rng(seed);
        var sampled = layers.Select(l => SampleIndices(l.Offsets, maxSampled, ref rng)).ToArray();
        var sum = new double[network.ParameterCount];
        var sumSquares = new double[network.ParameterCount];
        var kept = sampled.Select(s => new double[batches * s.Length]).ToArray(); // batch-major: kept[l][k * m + j]
        int batch = 0;
        ForEachBatchGradient(network, inputs, targets, batchSize, batches, gradients =>
        {
            for (int i = 0; i < gradients.Length; i++)
            {
                double g = double.CreateTruncating(gradients[i]);
                sum[i] += g;
                sumSquares[i] += g * g;
            }
            for (int l = 0; l < sampled.Length; l++)
            {
                int m = sampled[l].Length;
                for (int j = 0; j < m; j++) kept[l][batch * m + j] = double.CreateTruncating(gradients[sampled[l][j]]);
            }
            batch++;
        });

        var result = new LayerGradientStatistics[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            double magnitude = 0, variance = 0;
            foreach (int i in layers[l].Offsets)
            {
                double mean = sum[i] / batches;
                magnitude += Math.Abs(mean);
                // Σ(g − ḡ)² = Σg² − K·ḡ²; clamped at 0 against rounding when every batch gives the same gradient.
                variance += Math.Max(0, sumSquares[i] - batches * mean * mean) / (batches - 1);
            }
            int count = layers[l].Offsets.Count;
            var (correlation, absolute, constant) = MeanCorrelation(kept[l], batches, sampled[l].Length);
            result[l] = new LayerGradientStatistics(layers[l].Name, count, batches, magnitude / count, variance / count, sampled[l].Length, constant, correlation, absolute);
        }
        return result;
    }

    /// <summary>The mean and mean absolute Pearson correlation over all pairs of the m columns of the (K, m) matrix
    /// <paramref name="values"/>, leaving out constant columns (returned as their count).</summary>
    internal static (double Mean, double MeanAbsolute, int Constant) MeanCorrelation(double[] values, int rows, int columns)
    {
        // Centre each column and scale it to unit norm: then r_pq is the dot product of columns p and q.
        var z = new double[columns][];
        int constant = 0;
        for (int j = 0; j < columns; j++)
        {
            double mean = 0;
            for (int k = 0; k < rows; k++) mean += values[k * columns + j];
            mean /= rows;
            var column = new double[rows];
            double norm = 0;
            for (int k = 0; k < rows; k++)
            {
                column[k] = values[k * columns + j] - mean;
                norm += column[k] * column[k];
            }
            if (norm == 0) { constant++; continue; }
            norm = Math.Sqrt(norm);
            for (int k = 0; k < rows; k++) column[k] /= norm;
            z[j - constant] = column;
        }
        int n = columns - constant;
        if (n < 2) return (double.NaN, double.NaN, constant);
        double total = 0, totalAbsolute = 0;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++)
            {
                double r = 0;
                for (int k = 0; k < rows; k++) r += z[p][k] * z[q][k];
                total += r;
                totalAbsolute += Math.Abs(r);
            }
        double pairs = n * (n - 1) / 2.0;
        return (total / pairs, totalAbsolute / pairs, constant);
    }

    /// <summary>The layers: parameter tensors grouped by module name, each with the flat offsets of its scalars.</summary>
    private static List<(string Name, List<int> Offsets)> Layers(IReadOnlyList<ParameterInfo> parameters)
    {
        var layers = new List<(string Name, List<int> Offsets)>();
        foreach (var p in parameters)
        {
            string name = ClipPerLayerByNorm<float>.LayerOf(p.Name);
            if (layers.Count == 0 || layers[^1].Name != name) layers.Add((name, new List<int>()));
            layers[^1].Offsets.AddRange(Enumerable.Range(p.Offset, p.Length));
        }
        return layers;
    }

    /// <summary>All of <paramref name="offsets"/> if there are at most <paramref name="max"/>, else <paramref name="max"/>
    /// of them drawn without replacement (a partial Fisher–Yates shuffle), in increasing order.</summary>
    internal static int[] SampleIndices(List<int> offsets, int max, ref Rng rng)
    {
        var chosen = offsets.ToArray();
        if (chosen.Length <= max) return chosen;
        for (int i = 0; i < max; i++)
        {
            int j = i + rng.NextInt(chosen.Length - i);
            (chosen[i], chosen[j]) = (chosen[j], chosen[i]);
        }
        var sample = chosen[..max];
        Array.Sort(sample);
        return sample;
    }

    private static int CheckData<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets, int batchSize)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        if (inputs.Length == 0 || inputs.Length % network.InputSize != 0)
            throw new ArgumentException($"The inputs have {inputs.Length} values, not a whole number (at least 1) of samples of {network.InputSize} features", nameof(inputs));
        int samples = inputs.Length / network.InputSize;
        if (targets.Length % samples != 0)
            throw new ArgumentException($"{targets.Length} targets are not a whole number per sample for {samples} samples", nameof(targets));
        if (batchSize < 1 || batchSize > network.MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"a batch must hold 1 to MaxBatch ({network.MaxBatch}) samples");
        if (batchSize > samples)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"the data holds {samples} samples, fewer than one batch");
        return samples;
    }

    /// <summary>Computes the gradient of each of the first <paramref name="count"/> consecutive batches and hands it to
    /// <paramref name="gradient"/>; then puts the network's gradients back. Calls Forward, ComputeLoss and Backward
    /// directly, so a monitor records nothing and counts no step.</summary>
    private static void ForEachBatchGradient<T, TTarget>(Network<T, TTarget> network, ReadOnlySpan<T> inputs, ReadOnlySpan<TTarget> targets,
        int batchSize, int count, GradientCallback<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TTarget : unmanaged
    {
        int targetsPerSample = targets.Length / (inputs.Length / network.InputSize);
        var saved = network.Gradients.ToArray();
        try
        {
            for (int b = 0; b < count; b++)
            {
                network.ZeroGradients();
                network.Forward(inputs.Slice(b * batchSize * network.InputSize, batchSize * network.InputSize));
                network.ComputeLoss(targets.Slice(b * batchSize * targetsPerSample, batchSize * targetsPerSample));
                network.Backward();
                gradient(network.Gradients);
            }
        }
        finally
        {
            saved.CopyTo(network.Gradients);
        }
    }

    private delegate void GradientCallback<T>(ReadOnlySpan<T> gradients);
}
