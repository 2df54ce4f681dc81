using System.Numerics.Tensors;

namespace GradGen.Benchmarks.HandWritten;

/// <summary>What a competent C# developer writes in a day with System.Numerics.Tensors: every inner loop is a
/// TensorPrimitives call (vectorised for every SIMD width and for ARM64), a matrix product is one dot product or one
/// multiply-add per row, and each element-wise step is its own pass.</summary>
public readonly struct IdiomaticMath : ILayerMath
{
    public static void Linear(Span<float> z, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        int batch, int inF, int outF)
    {
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<float> xi = x.Slice(i * inF, inF);
            Span<float> zi = z.Slice(i * outF, outF);
            for (int o = 0; o < outF; o++) zi[o] = TensorPrimitives.Dot(xi, w.Slice(o * inF, inF));
            TensorPrimitives.Add(zi, b, zi);
        }
    }

    public static void LinearBackward(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dz,
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> scratch, int batch, int inF, int outF)
    {
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<float> dzi = dz.Slice(i * outF, outF), xi = x.Slice(i * inF, inF);
            // dw[o, :] += dz[i, o]·x[i, :]
            for (int o = 0; o < outF; o++)
            {
                Span<float> dwo = dw.Slice(o * inF, inF);
                TensorPrimitives.MultiplyAdd(xi, dzi[o], dwo, dwo);
            }
            TensorPrimitives.Add(db, dzi, db);
            if (dx.IsEmpty) continue;
            // dx[i, :] = Σ_o dz[i, o]·w[o, :]
            Span<float> dxi = dx.Slice(i * inF, inF);
            dxi.Clear();
            for (int o = 0; o < outF; o++) TensorPrimitives.MultiplyAdd(w.Slice(o * inF, inF), dzi[o], dxi, dxi);
        }
    }

    public static void Activate(Activation act, Span<float> a, ReadOnlySpan<float> z)
    {
        switch (act)
        {
            case Activation.ReLU: TensorPrimitives.Max(z, 0f, a); break;
            case Activation.Sigmoid: TensorPrimitives.Sigmoid(z, a); break;
            default: z.CopyTo(a); break;
        }
    }

    public static void AddActivate(Activation act, Span<float> a, Span<float> s, ReadOnlySpan<float> x, ReadOnlySpan<float> r)
    {
        TensorPrimitives.Add(x, r, s);
        Activate(act, a, s);
    }

    public static void ActivateBackward(Activation act, Span<float> dz, ReadOnlySpan<float> da, ReadOnlySpan<float> z,
        ReadOnlySpan<float> a)
    {
        switch (act)
        {
            case Activation.ReLU:
                // TensorPrimitives has no select; a plain loop is what one writes here.
                for (int k = 0; k < da.Length; k++) dz[k] = z[k] > 0 ? da[k] : 0;
                break;
            case Activation.Sigmoid:
                // σ′ = a(1 − a), in three passes.
                TensorPrimitives.Subtract(1f, a, dz);
                TensorPrimitives.Multiply(dz, a, dz);
                TensorPrimitives.Multiply(dz, da, dz);
                break;
            default: da.CopyTo(dz); break;
        }
    }

    public static void AddTo(Span<float> y, ReadOnlySpan<float> x) => TensorPrimitives.Add(y, x, y);

    public static float MeanSquaredError(Span<float> dOutput, ReadOnlySpan<float> output, ReadOnlySpan<float> target)
    {
        TensorPrimitives.Subtract(output, target, dOutput);
        float loss = TensorPrimitives.SumOfSquares(dOutput) / output.Length;
        TensorPrimitives.Multiply(dOutput, 2f / output.Length, dOutput);
        return loss;
    }

    public static float SoftmaxCrossEntropy(Span<float> dOutput, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        int batch, int classes)
    {
        float loss = 0;
        for (int i = 0; i < batch; i++)
        {
            Span<float> di = dOutput.Slice(i * classes, classes);
            TensorPrimitives.SoftMax(logits.Slice(i * classes, classes), di);
            loss -= MathF.Log(di[labels[i]]);
            di[labels[i]] -= 1;
        }
        TensorPrimitives.Multiply(dOutput, 1f / batch, dOutput);
        return loss / batch;
    }

    public static void SgdUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate) =>
        TensorPrimitives.MultiplyAdd(gradients, -learningRate, parameters, parameters);
}
