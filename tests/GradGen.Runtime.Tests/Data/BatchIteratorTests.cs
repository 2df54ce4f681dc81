using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GradGen.Data;

namespace GradGen.Runtime.Tests.Data;

public sealed class BatchIteratorTests
{
    /// <summary>Sample i has features [i, i + 0.5, i + 0.25] and label i % 10, so a batch row says which sample it is.</summary>
    private static DataSet Numbered(int count)
    {
        const int f = 3;
        var features = new float[count * f];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            features[i * f] = i;
            features[i * f + 1] = i + 0.5f;
            features[i * f + 2] = i + 0.25f;
            labels[i] = i % 10;
        }
        return new DataSet(features, labels, f, 10);
    }

    /// <summary>The samples of one epoch, in order, checking that each batch's rows, labels and indices agree.</summary>
    private static List<int> OneEpoch(BatchIterator batches, List<int>? sizes = null)
    {
        var seen = new List<int>();
        batches.StartEpoch();
        while (batches.Next(out Batch batch))
        {
            sizes?.Add(batch.Size);
            Assert.Equal(batch.Size * 3, batch.Features.Length);
            Assert.Equal(batch.Size, batch.Indices.Length);
            for (int b = 0; b < batch.Size; b++)
            {
                int sample = (int)batch.Features[b * 3];
                Assert.Equal(sample + 0.5f, batch.Features[b * 3 + 1]);
                Assert.Equal(sample + 0.25f, batch.Features[b * 3 + 2]);
                Assert.Equal(sample % 10, batch.Labels[b]);
                Assert.Equal(sample, batch.Indices[b]);
                seen.Add(sample);
            }
        }
        return seen;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryEpochCoversEverySampleExactlyOnce_WithAPartialLastBatch(bool shuffle)
    {
        var batches = new BatchIterator(Numbered(103), batchSize: 10, shuffle, seed: 5);
        Assert.Equal(11, batches.BatchCount);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var sizes = new List<int>();
            List<int> seen = OneEpoch(batches, sizes);
            Assert.Equal(Enumerable.Range(0, 103), seen.Order());
            Assert.Equal([.. Enumerable.Repeat(10, 10), 3], sizes);
            if (!shuffle) Assert.Equal(Enumerable.Range(0, 103), seen);
        }
        Assert.Equal(3, batches.Epoch);
    }

    [Fact]
    public void ShuffledOrder_IsReproducibleBySeed_DiffersBetweenSeedsAndEpochs()
    {
        DataSet data = Numbered(200);
        var a = new BatchIterator(data, 32, shuffle: true, seed: 42);
        var b = new BatchIterator(data, 32, shuffle: true, seed: 42);
        var c = new BatchIterator(data, 32, shuffle: true, seed: 43);

        List<int> a1 = OneEpoch(a), a2 = OneEpoch(a);
        List<int> b1 = OneEpoch(b), b2 = OneEpoch(b);
        List<int> c1 = OneEpoch(c);

        Assert.Equal(a1, b1);
        Assert.Equal(a2, b2);
        Assert.NotEqual(a1, c1);
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(Enumerable.Range(0, 200), a1);
    }

    [Fact]
    public void UnshuffledBatches_AreViewsIntoTheDataSet()
    {
        DataSet data = Numbered(25);
        var batches = new BatchIterator(data, 8, shuffle: false, seed: 0);
        batches.StartEpoch();
        int start = 0;
        while (batches.Next(out Batch batch))
        {
            Assert.True(Unsafe.AreSame(
                ref MemoryMarshal.GetReference(batch.Features), ref data.Features[start * data.FeatureSize]));
            Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(batch.Labels), ref data.Labels[start]));
            start += batch.Size;
        }
        Assert.Equal(25, start);
    }

    [Fact]
    public void ShuffledBatches_ReuseTheSameBuffers()
    {
        DataSet data = Numbered(25);
        var batches = new BatchIterator(data, 8, shuffle: true, seed: 0);
        batches.StartEpoch();
        Assert.True(batches.Next(out Batch first));
        ref readonly float firstFeatures = ref MemoryMarshal.GetReference(first.Features);
        ref readonly int firstLabels = ref MemoryMarshal.GetReference(first.Labels);
        while (batches.Next(out Batch batch))
        {
            Assert.True(Unsafe.AreSame(ref Unsafe.AsRef(in firstFeatures), ref MemoryMarshal.GetReference(batch.Features)));
            Assert.True(Unsafe.AreSame(ref Unsafe.AsRef(in firstLabels), ref MemoryMarshal.GetReference(batch.Labels)));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NoAllocationsPerBatchOrEpoch_AfterWarmUp(bool shuffle)
    {
        var batches = new BatchIterator(Numbered(1000), 64, shuffle, seed: 9);
        float checksum = Drain(batches, epochs: 2); // warm-up: JIT, tiering

        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += Drain(batches, epochs: 5);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(checksum > 0);
    }

    private static float Drain(BatchIterator batches, int epochs)
    {
        float sum = 0;
        for (int e = 0; e < epochs; e++)
        {
            batches.StartEpoch();
            while (batches.Next(out Batch batch)) sum += batch.Features[^1] + batch.Labels[0] + batch.Size;
        }
        return sum;
    }

    [Fact]
    public void MisuseThrows()
    {
        DataSet data = Numbered(4);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchIterator(data, 0, false, 0));
        var batches = new BatchIterator(data, 2, false, 0);
        Assert.Throws<InvalidOperationException>(() => batches.Next(out _));
    }

    [Fact]
    public void EmptyDataSet_HasNoBatches()
    {
        var batches = new BatchIterator(Numbered(0), 4, shuffle: true, seed: 1);
        Assert.Equal(0, batches.BatchCount);
        batches.StartEpoch();
        Assert.False(batches.Next(out _));
    }
}
