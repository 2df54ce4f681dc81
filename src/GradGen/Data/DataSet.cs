namespace GradGen.Data;

/// <summary>
/// A labelled data set held in two flat arrays: <see cref="Features"/> is <see cref="Count"/> × <see cref="FeatureSize"/>
/// floats, sample after sample, and <see cref="Labels"/> holds one class index in [0, <see cref="Classes"/>) per sample.
/// <para><see cref="Split"/> and <see cref="Slice"/> copy (once, when called); <see cref="BatchIterator"/> hands out
/// views into these arrays and copies only when it must gather a shuffled batch.</para>
/// </summary>
public sealed class DataSet
{
    /// <summary>Wraps the arrays without copying them.</summary>
    /// <param name="features">Count × featureSize values, sample-major.</param>
    /// <param name="labels">Count class indices, each in [0, classes).</param>
    /// <param name="featureSize">Values per sample; at least 1.</param>
    /// <param name="classes">Number of classes; at least 1.</param>
    public DataSet(float[] features, int[] labels, int featureSize, int classes)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if ((long)labels.Length * featureSize != features.LongLength)
            throw new ArgumentException(
                $"{labels.Length} labels with {featureSize} features each need {(long)labels.Length * featureSize} " +
                $"feature values, but there are {features.LongLength}", nameof(features));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"label {i} is {labels[i]}, outside [0, {classes})", nameof(labels));
        Features = features;
        Labels = labels;
        FeatureSize = featureSize;
        Classes = classes;
    }

    /// <summary>Count × FeatureSize values, sample after sample.</summary>
    public float[] Features { get; }

    /// <summary>One class index per sample.</summary>
    public int[] Labels { get; }

    public int Count => Labels.Length;

    public int FeatureSize { get; }

    public int Classes { get; }

    /// <summary>The features of sample <paramref name="index"/> (a view, no copy).</summary>
    public ReadOnlySpan<float> Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Features.AsSpan(index * FeatureSize, FeatureSize);
    }

    /// <summary>Loads an IDX images file and its labels file (gzip or plain), scaling pixels from 0–255 to [0, 1].
    /// Each image becomes rows × columns features; <see cref="Classes"/> is the largest label + 1, but at least
    /// <paramref name="minimumClasses"/> (10 for MNIST-like sets, so a subset that lacks class 9 still has 10 outputs).</summary>
    /// <exception cref="IdxFormatException">A file is malformed, or the two files hold different numbers of items.</exception>
    public static DataSet FromIdx(string imagesPath, string labelsPath, int minimumClasses = 10)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        IdxImages images = Idx.ReadImages(imagesPath);
        byte[] labels = Idx.ReadLabels(labelsPath);
        return FromIdx(images, imagesPath, labels, labelsPath, minimumClasses);
    }

    /// <summary>As <see cref="FromIdx(string, string, int)"/>, from streams (for example embedded resources);
    /// the names are quoted in error messages.</summary>
    public static DataSet FromIdx(Stream images, string imagesName, Stream labels, string labelsName, int minimumClasses = 10)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        IdxImages imageData = Idx.ReadImages(images, imagesName);
        byte[] labelData = Idx.ReadLabels(labels, labelsName);
        return FromIdx(imageData, imagesName, labelData, labelsName, minimumClasses);
    }

    private static DataSet FromIdx(IdxImages images, string imagesName, byte[] labels, string labelsName, int minimumClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumClasses);
        if (images.Count != labels.Length)
            throw new IdxFormatException(
                $"{imagesName} and {labelsName} do not match: count mismatch, {images.Count} images but {labels.Length} labels");
        if (images.PixelsPerImage == 0)
            throw IdxFormatException.For(imagesName, $"the images are {images.Rows}×{images.Columns}: no pixels");
        byte[] pixels = images.Pixels;
        var features = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) features[i] = pixels[i] * (1f / 255f);
        var labelInts = new int[labels.Length];
        int classes = minimumClasses;
        for (int i = 0; i < labels.Length; i++)
        {
            labelInts[i] = labels[i];
            classes = Math.Max(classes, labels[i] + 1);
        }
        return new DataSet(features, labelInts, images.PixelsPerImage, classes);
    }

    /// <summary>The mean and (population) standard deviation of all feature values, accumulated in double.</summary>
    public (float Mean, float Std) ComputeMeanStd()
    {
        if (Features.Length == 0) return (0f, 0f);
        double sum = 0;
        foreach (float x in Features) sum += x;
        double mean = sum / Features.Length;
        // Two passes: the one-pass E[x²] − E[x]² formula loses digits to cancellation.
        double squares = 0;
        foreach (float x in Features)
        {
            double d = x - mean;
            squares += d * d;
        }
        return ((float)mean, (float)Math.Sqrt(squares / Features.Length));
    }

    /// <summary>Replaces every feature x by (x − mean) / std, in place. Use the training set's statistics for the
    /// validation and test sets too.</summary>
    public void Normalize(float mean, float std)
    {
        if (!float.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "mean must be finite");
        if (!float.IsFinite(std) || std <= 0) throw new ArgumentOutOfRangeException(nameof(std), std, "std must be finite and positive");
        float scale = 1f / std;
        Span<float> features = Features;
        for (int i = 0; i < features.Length; i++) features[i] = (features[i] - mean) * scale;
    }

    /// <summary>A copy of samples [start, start + count), with the same <see cref="Classes"/>.</summary>
    public DataSet Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"[{start}, {start + (long)count}) is outside the {Count} samples");
        return new DataSet(
            Features.AsSpan(start * FeatureSize, count * FeatureSize).ToArray(),
            Labels.AsSpan(start, count).ToArray(),
            FeatureSize, Classes);
    }

    /// <summary>The first <paramref name="firstCount"/> samples and the rest, as copies. Samples are not shuffled:
    /// shuffle beforehand if the order of the set is not already random.</summary>
    public (DataSet First, DataSet Second) Split(int firstCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstCount, Count);
        return (Slice(0, firstCount), Slice(firstCount, Count - firstCount));
    }
}
