namespace GradGen.Data;

/// <summary>One mini-batch: <see cref="Size"/> samples' features (Size × FeatureSize, sample-major) and labels.
/// The spans are only valid until the next <see cref="BatchIterator.Next"/> or <see cref="BatchIterator.StartEpoch"/>:
/// a shuffled batch lives in buffers that the iterator reuses.</summary>
public readonly ref struct Batch
{
    internal Batch(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, ReadOnlySpan<int> indices)
    {
        Features = features;
        Labels = labels;
        Indices = indices;
    }

    /// <summary>Size × FeatureSize values.</summary>
    public ReadOnlySpan<float> Features { get; }

    /// <summary>Size class indices.</summary>
    public ReadOnlySpan<int> Labels { get; }

    /// <summary>The data-set positions of the samples in this batch, in batch order.</summary>
    public ReadOnlySpan<int> Indices { get; }

    /// <summary>Samples in this batch: the batch size, or fewer for the last batch of an epoch.</summary>
    public int Size => Labels.Length;
}

/// <summary>
/// Cuts a <see cref="DataSet"/> into mini-batches, epoch after epoch, copying nothing it need not.
/// <code>
/// var batches = new BatchIterator(train, batchSize: 64, shuffle: true, seed: 1);
/// for (int epoch = 0; epoch &lt; epochs; epoch++)
/// {
///     batches.StartEpoch();
///     while (batches.Next(out Batch batch)) Train(batch.Features, batch.Labels, batch.Size);
/// }
/// </code>
/// <para>Without shuffling, a batch is a view into <see cref="DataSet.Features"/> and <see cref="DataSet.Labels"/>:
/// no copy at all. With shuffling, <see cref="StartEpoch"/> shuffles an index array with <see cref="Rng"/>, and each
/// batch is gathered into two buffers allocated once in the constructor, so no batch allocates. The shuffled order
/// of every epoch is fixed by the seed. Every epoch visits each sample exactly once; the last batch holds the
/// remainder when the batch size does not divide the count.</para>
/// </summary>
public sealed class BatchIterator
{
    private readonly DataSet _data;
    private readonly int[] _order;
    private readonly float[]? _featureBuffer;
    private readonly int[]? _labelBuffer;
    private Rng _rng;
    private int _cursor = -1; // -1: no epoch started yet

    public BatchIterator(DataSet data, int batchSize, bool shuffle, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        _rng = new Rng(seed);
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (shuffle)
        {
            int capacity = Math.Min(batchSize, data.Count);
            _featureBuffer = new float[(long)capacity * data.FeatureSize];
            _labelBuffer = new int[capacity];
        }
    }

    public DataSet Data => _data;

    public int BatchSize { get; }

    public bool Shuffle { get; }

    /// <summary>Batches per epoch, counting the last partial one: ceil(Count / BatchSize).</summary>
    public int BatchCount => (int)(((long)_data.Count + BatchSize - 1) / BatchSize);

    /// <summary>Epochs started so far.</summary>
    public int Epoch { get; private set; }

    /// <summary>Begins an epoch (the first one too): rewinds and, when shuffling, draws a new order from the
    /// iterator's generator. Abandoning an epoch part-way and starting the next is allowed.</summary>
    public void StartEpoch()
    {
        if (Shuffle) _rng.Shuffle(_order.AsSpan());
        _cursor = 0;
        Epoch++;
    }

    /// <summary>The next batch of the current epoch, or false when the epoch is over.</summary>
    /// <exception cref="InvalidOperationException"><see cref="StartEpoch"/> has not been called yet.</exception>
    public bool Next(out Batch batch)
    {
        if (_cursor < 0) throw new InvalidOperationException("Call StartEpoch() before the first Next().");
        int count = _data.Count;
        if (_cursor >= count)
        {
            batch = default;
            return false;
        }
        int start = _cursor;
        int size = Math.Min(BatchSize, count - start);
        int featureSize = _data.FeatureSize;
        _cursor = start + size;
        ReadOnlySpan<int> indices = _order.AsSpan(start, size);

        if (!Shuffle)
        {
            batch = new Batch(
                _data.Features.AsSpan(start * featureSize, size * featureSize),
                _data.Labels.AsSpan(start, size),
                indices);
            return true;
        }

        Span<float> features = _featureBuffer.AsSpan(0, size * featureSize);
        Span<int> labels = _labelBuffer.AsSpan(0, size);
        float[] source = _data.Features;
        int[] sourceLabels = _data.Labels;
        for (int b = 0; b < size; b++)
        {
            int i = indices[b];
            source.AsSpan(i * featureSize, featureSize).CopyTo(features.Slice(b * featureSize, featureSize));
            labels[b] = sourceLabels[i];
        }
        batch = new Batch(features, labels, indices);
        return true;
    }
}
