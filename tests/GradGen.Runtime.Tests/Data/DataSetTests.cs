using GradGen.Data;

namespace GradGen.Runtime.Tests.Data;

public sealed class DataSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gradgen-dataset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DataSet Ramp(int count, int featureSize, int classes = 3)
    {
        var features = new float[count * featureSize];
        for (int i = 0; i < features.Length; i++) features[i] = i;
        var labels = new int[count];
        for (int i = 0; i < count; i++) labels[i] = i % classes;
        return new DataSet(features, labels, featureSize, classes);
    }

    [Fact]
    public void FromIdx_ScalesPixelsToUnitInterval()
    {
        string images = Path.Combine(_dir, "img.gz");
        string labels = Path.Combine(_dir, "lbl");
        File.WriteAllBytes(images, IdxFiles.Images(3, 2, 2, i => (byte)(i * 20 + 15), gzip: true));
        File.WriteAllBytes(labels, IdxFiles.Labels([2, 0, 1]));

        DataSet set = DataSet.FromIdx(images, labels);
        Assert.Equal(3, set.Count);
        Assert.Equal(4, set.FeatureSize);
        Assert.Equal(10, set.Classes); // MNIST-like default
        Assert.Equal([2, 0, 1], set.Labels);
        Assert.Equal(12, set.Features.Length);
        Assert.Equal(15f / 255f, set.Features[0], 6);
        Assert.Equal(235f / 255f, set.Features[11], 6);

        File.WriteAllBytes(images, IdxFiles.Images(1, 1, 1, _ => 255));
        File.WriteAllBytes(labels, IdxFiles.Labels([13]));
        DataSet wide = DataSet.FromIdx(images, labels);
        Assert.Equal(14, wide.Classes);
        Assert.Equal(1f, wide.Features[0]);
    }

    [Fact]
    public void FromIdx_Streams_NameTheSourcesInErrors()
    {
        var images = new MemoryStream(IdxFiles.Images(2, 2, 2, _ => 0));
        var labels = new MemoryStream(IdxFiles.Labels([1]));
        var ex = Assert.Throws<IdxFormatException>(() => DataSet.FromIdx(images, "embedded:img", labels, "embedded:lbl"));
        Assert.Contains("embedded:img", ex.Message);
        Assert.Contains("embedded:lbl", ex.Message);
    }

    [Fact]
    public void MeanStdAndNormalize()
    {
        DataSet set = Ramp(4, 2); // 0..7: mean 3.5, population variance 5.25
        (float mean, float std) = set.ComputeMeanStd();
        Assert.Equal(3.5f, mean, 6);
        Assert.Equal(MathF.Sqrt(5.25f), std, 6);

        set.Normalize(mean, std);
        (float m2, float s2) = set.ComputeMeanStd();
        Assert.Equal(0f, m2, 6);
        Assert.Equal(1f, s2, 6);
        Assert.Equal(-3.5f / MathF.Sqrt(5.25f), set.Features[0], 6);

        Assert.Throws<ArgumentOutOfRangeException>(() => set.Normalize(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Normalize(float.NaN, 1));
    }

    [Fact]
    public void SliceAndSplit_CopyTheRightSamplesAndKeepClasses()
    {
        DataSet set = Ramp(5, 3, classes: 7);
        DataSet slice = set.Slice(1, 2);
        Assert.Equal(2, slice.Count);
        Assert.Equal(7, slice.Classes);
        Assert.Equal([3f, 4, 5, 6, 7, 8], slice.Features);
        Assert.Equal([1, 2], slice.Labels);
        slice.Features[0] = -1;
        Assert.Equal(3f, set.Features[3]); // a copy

        (DataSet first, DataSet second) = set.Split(3);
        Assert.Equal(3, first.Count);
        Assert.Equal(2, second.Count);
        Assert.Equal(9f, second.Features[0]);
        Assert.Equal([3, 4], second.Labels);
        Assert.Equal(0, set.Split(0).First.Count);
        Assert.Equal(0, set.Split(5).Second.Count);

        Assert.Throws<ArgumentOutOfRangeException>(() => set.Split(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Slice(-1, 1));
    }

    [Fact]
    public void Constructor_ValidatesSizesAndLabels()
    {
        Assert.Throws<ArgumentException>(() => new DataSet(new float[5], new int[2], 2, 3));
        Assert.Throws<ArgumentException>(() => new DataSet(new float[4], [0, 3], 2, 3));
        Assert.Throws<ArgumentException>(() => new DataSet(new float[4], [0, -1], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataSet(new float[4], [0, 1], 0, 3));
    }
}
