using System.Reflection;
using GradGen.Data;
using FashionMnistFiles = GradGen.Data.FashionMnist;

namespace GradGen.Samples.FashionMnist;

/// <summary>The training and evaluation sets, and a sentence saying where they came from.</summary>
internal sealed record TrainingData(DataSet Train, DataSet Evaluation, string EvaluationName, string Description)
{
    /// <summary>Where the full set is looked for when --data is not given: Debian's package dataset-fashion-mnist
    /// installs the four .gz files here.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    private static readonly string[] Files =
        [FashionMnistFiles.TrainImages, FashionMnistFiles.TrainLabels, FashionMnistFiles.TestImages, FashionMnistFiles.TestLabels];

    /// <summary>--data DIR if given; else Debian's full set if installed in <see cref="SystemDirectory"/> (and not <paramref name="forceEmbedded"/>);
    /// else the embedded test split, cut into 8,000 training and 2,000 validation images.</summary>
    /// <exception cref="UserError">The directory or a file is missing.</exception>
    public static TrainingData Load(string? directory, bool forceEmbedded)
    {
        if (directory is not null)
        {
            if (forceEmbedded) throw new UserError("--data and --embedded exclude each other: pick one");
            string full = Path.GetFullPath(directory);
            if (!Directory.Exists(full)) throw new UserError($"--data: directory {full} does not exist");
            var missing = Files.Where(f => !File.Exists(Path.Combine(full, f + ".gz")) && !File.Exists(Path.Combine(full, f))).ToList();
            if (missing.Count > 0)
                throw new UserError($"--data: {full} lacks {string.Join(", ", missing.Select(f => f + ".gz"))} (plain, uncompressed files are accepted too)");
            var (train, test) = FashionMnistFiles.Load(full);
            return new TrainingData(train, test, "Test",
                $"Fashion-MNIST from {full} ({train.Count:N0} train, {test.Count:N0} test)");
        }
        if (!forceEmbedded && FashionMnistFiles.FindDirectory([SystemDirectory]) is string system)
        {
            var (train, test) = FashionMnistFiles.Load(system);
            return new TrainingData(train, test, "Test",
                $"Fashion-MNIST full set from {system} ({train.Count:N0} train, {test.Count:N0} test)");
        }
        var assembly = Assembly.GetExecutingAssembly();
        using Stream images = assembly.GetManifestResourceStream($"FashionMnist.{FashionMnistFiles.TestImages}.gz")
            ?? throw new UserError("the embedded Fashion-MNIST images are missing from this build");
        using Stream labels = assembly.GetManifestResourceStream($"FashionMnist.{FashionMnistFiles.TestLabels}.gz")
            ?? throw new UserError("the embedded Fashion-MNIST labels are missing from this build");
        var (first, second) = FashionMnistFiles.LoadEmbeddedSplit(images, labels, trainCount: 8000);
        string why = forceEmbedded ? "(chosen by --embedded)" : "— install dataset-fashion-mnist for the full set";
        return new TrainingData(first, second, "Validation",
            $"embedded {first.Count + second.Count:N0}-image test split ({first.Count:N0} train / {second.Count:N0} validation) {why}");
    }
}

/// <summary>A problem with the user's input, reported as one line without a stack trace.</summary>
internal sealed class UserError(string message) : Exception(message);
