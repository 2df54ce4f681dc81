namespace GradGen.Data;

/// <summary>
/// Finds and loads Fashion-MNIST (Zalando Research; 28×28 grayscale clothing images in 10 classes; 60,000 for
/// training and 10,000 for testing), in its original IDX files, gzip-compressed or not.
/// </summary>
public static class FashionMnist
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The first of <paramref name="candidates"/> that holds all four standard files (each <c>.gz</c> or
    /// plain), or null if none does. Where to look is the caller's decision: for example the sample passes Debian's
    /// <c>/usr/share/datasets/fashion-mnist</c>, where the package <c>dataset-fashion-mnist</c> installs them.</summary>
    public static string? FindDirectory(IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        foreach (string directory in candidates)
            if (HasAllFiles(directory)) return directory;
        return null;
    }

    /// <summary>Loads the training and test sets from <paramref name="directory"/>, which holds the four standard
    /// files, each either gzip-compressed (<c>.gz</c>) or plain. Pixels are scaled to [0, 1]; nothing is normalized.</summary>
    /// <exception cref="FileNotFoundException">A file is missing under both names.</exception>
    /// <exception cref="IdxFormatException">A file is malformed.</exception>
    public static (DataSet Train, DataSet Test) Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        DataSet train = DataSet.FromIdx(Locate(directory, TrainImages), Locate(directory, TrainLabels));
        DataSet test = DataSet.FromIdx(Locate(directory, TestImages), Locate(directory, TestLabels));
        return (train, test);
    }

    /// <summary>Loads one images/labels pair from streams, such as the test split embedded in a sample, and splits it
    /// in order into the first <paramref name="trainCount"/> samples and the rest (Fashion-MNIST's files are not
    /// sorted by class, so the split needs no shuffle).</summary>
    public static (DataSet Train, DataSet Validation) LoadEmbeddedSplit(
        Stream images, Stream labels, int trainCount = 8000,
        string imagesName = TestImages + ".gz", string labelsName = TestLabels + ".gz")
    {
        DataSet all = DataSet.FromIdx(images, imagesName, labels, labelsName);
        if (trainCount < 0 || trainCount > all.Count)
            throw new ArgumentOutOfRangeException(nameof(trainCount), trainCount,
                $"{imagesName} holds {all.Count} samples, so trainCount must lie in [0, {all.Count}]");
        return all.Split(trainCount);
    }

    private static bool HasAllFiles(string directory) =>
        Directory.Exists(directory) &&
        new[] { TrainImages, TrainLabels, TestImages, TestLabels }.All(name => TryLocate(directory, name) is not null);

    private static string? TryLocate(string directory, string baseName)
    {
        foreach (string candidate in (ReadOnlySpan<string>)[baseName + ".gz", baseName])
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static string Locate(string directory, string baseName) =>
        TryLocate(directory, baseName) ?? throw new FileNotFoundException(
            $"Fashion-MNIST file {baseName}.gz (or {baseName}) not found in {directory}",
            Path.Combine(directory, baseName + ".gz"));
}
