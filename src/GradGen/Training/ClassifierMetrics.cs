using GradGen.Data;
using GradGen.Kernels;

namespace GradGen.Training;

/// <summary>Measuring a classifier without training it.</summary>
public static class ClassifierMetrics
{
    /// <summary>The mean loss and accuracy of <paramref name="network"/> on <paramref name="data"/>, forward passes only,
    /// in batches of up to <paramref name="batchSize"/> (at most the network's MaxBatch). Allocates nothing.</summary>
    public static EvaluationResult Evaluate(Network<float, int> network, DataSet data, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (data.FeatureSize != network.InputSize)
            throw new ArgumentException($"The data set's samples have {data.FeatureSize} features, but {network.GetType().Name} takes {network.InputSize}", nameof(data));
        int size = Math.Min(batchSize, network.MaxBatch), features = data.FeatureSize;
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < data.Count; start += size)
        {
            int n = Math.Min(size, data.Count - start);
            ReadOnlySpan<int> labels = data.Labels.AsSpan(start, n);
            float loss = network.Evaluate(data.Features.AsSpan(start * features, n * features), labels);
            lossSum += (double)loss * n;
            correct += Losses.CountCorrect(network.Output, labels, n, network.OutputSize);
        }
        return Result(lossSum, correct, data.Count);
    }

    internal static EvaluationResult Result(double lossSum, long correct, int count) =>
        count == 0
            ? new EvaluationResult(double.NaN, double.NaN, 0)
            : new EvaluationResult(lossSum / count, (double)correct / count, count);
}
