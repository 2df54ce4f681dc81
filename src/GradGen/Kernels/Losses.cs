using System.Runtime.CompilerServices;
using System.Numerics;

namespace GradGen.Kernels;

/// <summary>Training losses, reduced by the mean as PyTorch's default reduction="mean".
/// Each returns the loss and overwrites dOutput (contiguous, the same shape as the output) with d(mean loss)/d(output);
/// pass an empty dOutput to compute only the loss. Sums are accumulated in double whatever T is.
/// These are O(batch·width) scalar loops, negligible next to the Dense products, so they have no SIMD twin.</summary>
public static class Losses
{
    /// <summary>nn.MSELoss: mean over batch and width of (output − target)²; dOutput = 2(output − target)/(batch·width).</summary>
    /// <param name="output">(batch, width) contiguous.</param>
    /// <param name="target">(batch, width) contiguous.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T MeanSquaredError<T>(Span<T> dOutput, ReadOnlySpan<T> output, ReadOnlySpan<T> target, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = CheckDense(dOutput.Length, output.Length, batch, width);
        Guard.Matrix(target.Length, batch, width, width, nameof(target));
        if (count == 0) return T.NaN; // PyTorch's mean over nothing
        double sum = 0;
        T scale = T.CreateTruncating(2.0 / count);
        for (int k = 0; k < count; k++)
        {
            T d = output[k] - target[k];
            sum += double.CreateTruncating(d * d);
            if (!dOutput.IsEmpty) dOutput[k] = scale * d;
        }
        return T.CreateTruncating(sum / count);
    }

    /// <summary>nn.CrossEntropyLoss on logits with class-index targets: mean over the batch of
    /// log Σ_c e^(logit_c) − logit_target; dOutput = (softmax − onehot(target))/batch.</summary>
    /// <param name="logits">(batch, classes) contiguous.</param>
    /// <param name="target">(batch) class indices in [0, classes).</param>
    /// <exception cref="ArgumentOutOfRangeException">A target index is outside [0, classes).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T SoftmaxCrossEntropy<T>(Span<T> dOutput, ReadOnlySpan<T> logits, ReadOnlySpan<int> target, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckDense(dOutput.Length, logits.Length, batch, classes);
        CheckTargets(target, batch, classes);
        if (batch == 0) return T.NaN;
        double total = 0;
        T invBatch = T.One / T.CreateTruncating(batch);
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> row = logits.Slice(i * classes, classes);
            // Subtracting the row max is only for numerical stability: every e^(x − max) ≤ 1 cannot overflow, and the
            // largest term is exactly 1, so the sum cannot underflow to 0 either; softmax is unchanged by the shift.
            T max = row[0];
            for (int c = 1; c < classes; c++) if (row[c] > max) max = row[c];
            T targetLogit = row[target[i]];
            T sum = T.Zero;
            if (dOutput.IsEmpty)
            {
                for (int c = 0; c < classes; c++) sum += T.Exp(row[c] - max);
                total += double.CreateTruncating(max + T.Log(sum) - targetLogit);
                continue;
            }
            // Each e^(x − max) is computed once and kept in d until the sum is known (d may be the logits themselves).
            Span<T> d = dOutput.Slice(i * classes, classes);
            for (int c = 0; c < classes; c++) sum += d[c] = T.Exp(row[c] - max);
            total += double.CreateTruncating(max + T.Log(sum) - targetLogit);
            T invSum = T.One / sum;
            for (int c = 0; c < classes; c++) d[c] = d[c] * invSum * invBatch;
            d[target[i]] -= invBatch;
        }
        return T.CreateTruncating(total / batch);
    }

    /// <summary>nn.BCEWithLogitsLoss: mean over batch and width of −[t·log σ(x) + (1 − t)·log(1 − σ(x))];
    /// dOutput = (σ(x) − t)/(batch·width).</summary>
    /// <param name="logits">(batch, width) contiguous.</param>
    /// <param name="target">(batch, width) contiguous, in [0, 1].</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T BinaryCrossEntropyWithLogits<T>(Span<T> dOutput, ReadOnlySpan<T> logits, ReadOnlySpan<T> target, int batch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = CheckDense(dOutput.Length, logits.Length, batch, width);
        Guard.Matrix(target.Length, batch, width, width, nameof(target));
        if (count == 0) return T.NaN;
        double sum = 0;
        T scale = T.One / T.CreateTruncating(count);
        var sigmoid = default(Sigmoid);
        for (int k = 0; k < count; k++)
        {
            double x = double.CreateTruncating(logits[k]), t = double.CreateTruncating(target[k]);
            // Stable form of the loss: max(x, 0) − x·t + log(1 + e^−|x|). e^−|x| ≤ 1 never overflows, and log1p keeps
            // the tail exact where e^−|x| is tiny (the naive log σ(x) would give log 0 = −∞ for x ≪ 0).
            sum += Math.Max(x, 0.0) - x * t + SpecialFunctions.Log1P(Math.Exp(-Math.Abs(x)));
            // σ on T itself (float: computed in double and rounded once, as before), so that a dual logit keeps its tangent.
            if (!dOutput.IsEmpty) dOutput[k] = (sigmoid.Forward(logits[k]) - target[k]) * scale;
        }
        return T.CreateTruncating(sum / count);
    }

    /// <summary>The number of rows whose argmax (the first, on ties) equals the target class.</summary>
    /// <param name="logits">(batch, classes) contiguous.</param>
    /// <param name="target">(batch) class indices; an index outside [0, classes) never counts as correct.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int CountCorrect<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> target, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Sizes(batch, classes);
        Guard.Matrix(logits.Length, batch, classes, classes, nameof(logits));
        Guard.Matrix(target.Length, 1, batch, batch, nameof(target));
        if (classes == 0) return 0;
        int correct = 0;
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            if (best == target[i]) correct++;
        }
        return correct;
    }

    private static int CheckDense(int dOutputLength, int outputLength, int batch, int width)
    {
        Guard.Sizes(batch, width);
        Guard.Matrix(outputLength, batch, width, width, "output");
        Guard.Optional(dOutputLength, batch, width, width, "dOutput");
        return batch * width;
    }

    private static void CheckTargets(ReadOnlySpan<int> target, int batch, int classes)
    {
        Guard.Matrix(target.Length, 1, batch, batch, nameof(target));
        for (int i = 0; i < batch; i++)
        {
            int t = target[i];
            if ((uint)t >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(target), t,
                    $"sample {i} has class index {t}, outside [0, {classes})");
        }
    }
}
