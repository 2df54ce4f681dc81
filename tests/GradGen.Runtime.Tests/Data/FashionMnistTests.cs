using GradGen.Data;

namespace GradGen.Runtime.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gradgen-fashion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LoadEmbeddedSplit_ReadsTheShippedTestSplitFromStreams()
    {
        string dir = IdxFiles.ShippedFashionMnistDirectory();
        using Stream images = File.OpenRead(Path.Combine(dir, "t10k-images-idx3-ubyte.gz"));
        using Stream labels = File.OpenRead(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));

        (DataSet train, DataSet validation) = FashionMnist.LoadEmbeddedSplit(images, labels);

        Assert.Equal(8000, train.Count);
        Assert.Equal(2000, validation.Count);
        Assert.Equal(784, train.FeatureSize);
        Assert.Equal(10, train.Classes);
        Assert.Equal(10, validation.Classes);
        Assert.All(train.Features, x => Assert.InRange(x, 0f, 1f));
        // Both parts hold every class: the file is not sorted by class.
        Assert.Equal(10, validation.Labels.Distinct().Count());
        (float mean, float std) = train.ComputeMeanStd();
        Assert.InRange(mean, 0.25f, 0.35f); // Fashion-MNIST's pixel mean is about 0.286
        Assert.InRange(std, 0.3f, 0.4f);    // and its std about 0.353
    }

    [Fact]
    public void Load_AcceptsGzipAndPlainFilesUnderTheStandardNames()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), IdxFiles.Images(3, 28, 28, i => (byte)i, gzip: true));
        File.WriteAllBytes(Path.Combine(_dir, "train-labels-idx1-ubyte"), IdxFiles.Labels([0, 5, 9]));
        File.WriteAllBytes(Path.Combine(_dir, "t10k-images-idx3-ubyte"), IdxFiles.Images(2, 28, 28, i => (byte)(255 - i)));
        File.WriteAllBytes(Path.Combine(_dir, "t10k-labels-idx1-ubyte.gz"), IdxFiles.Labels([1, 2], gzip: true));

        (DataSet train, DataSet test) = FashionMnist.Load(_dir);
        Assert.Equal(3, train.Count);
        Assert.Equal(2, test.Count);
        Assert.Equal([1, 2], test.Labels);
        Assert.Equal(1f, test.Features[0]);
    }

    [Fact]
    public void Load_MissingFile_SaysWhichOne()
    {
        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte.gz"), IdxFiles.Images(1, 28, 28, i => 0, gzip: true));
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_dir));
        Assert.Contains("train-labels-idx1-ubyte", ex.Message);
        Assert.Contains(_dir, ex.Message);
    }

    [Fact]
    public void FindDirectory_ReturnsTheFirstCandidateThatHoldsAllFourFiles()
    {
        string partial = Directory.CreateDirectory(Path.Combine(_dir, "partial")).FullName;
        string complete = Directory.CreateDirectory(Path.Combine(_dir, "complete")).FullName;
        string alsoComplete = Directory.CreateDirectory(Path.Combine(_dir, "also-complete")).FullName;
        foreach (string name in new[] { FashionMnist.TrainImages, FashionMnist.TrainLabels, FashionMnist.TestImages })
            File.WriteAllBytes(Path.Combine(partial, name + ".gz"), []);
        foreach (string directory in new[] { complete, alsoComplete })
            foreach (string name in new[] { FashionMnist.TrainImages, FashionMnist.TrainLabels, FashionMnist.TestImages, FashionMnist.TestLabels })
                File.WriteAllBytes(Path.Combine(directory, name + (directory == complete ? "" : ".gz")), []); // plain or .gz

        string missing = Path.Combine(_dir, "does-not-exist");
        Assert.Equal(complete, FashionMnist.FindDirectory([missing, partial, complete, alsoComplete]));
        Assert.Equal(alsoComplete, FashionMnist.FindDirectory([alsoComplete, complete]));
        Assert.Null(FashionMnist.FindDirectory([missing, partial]));
        Assert.Null(FashionMnist.FindDirectory([]));
    }

    /// <summary>Where Debian's package dataset-fashion-mnist installs the full set (the sample looks there too).</summary>
    private const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    [SkippableFact]
    public void Load_ReadsTheFullSetFromTheDebianPackage()
    {
        string? dir = FashionMnist.FindDirectory([DebianDirectory]);
        Skip.If(dir is null, $"the full Fashion-MNIST set is not installed in {DebianDirectory} (apt-get install dataset-fashion-mnist)");
        (DataSet train, DataSet test) = FashionMnist.Load(dir!);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10000, test.Count);
        Assert.Equal(784, train.FeatureSize);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, train.Labels.Count(l => l == c)));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, test.Labels.Count(l => l == c)));
    }
}
