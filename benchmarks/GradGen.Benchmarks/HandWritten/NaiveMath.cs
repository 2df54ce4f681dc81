namespace GradGen.Benchmarks.HandWritten;

/// <summary>Scalar loops in the textbook order, accumulating in float: the floor every other variant is measured
/// against.</summary>
public readonly struct NaiveMath : ILayerMath
{
    public static void Linear(Span<float> z, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b,
        int batch, int inF, int outF)
    {
        for (int i = 0; i < batch; i++)
            for (int o = 0; o < outF; o++)
            {
                float sum = b[o];
                for (int k = 0; k < inF; k++) sum += x[i * inF + k] * w[o * inF + k];
                z[i * outF + o] = sum;
            }
    }

    public static void LinearBackward(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dz,
        ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> scratch, int batch, int inF, int outF)
    {
        for (int o = 0; o < outF; o++)
        {
            for (int k = 0; k < inF; k++)
            {
                float sum = 0;
                for (int i = 0; i < batch; i++) sum += dz[i * outF + o] * x[i * inF + k];
                dw[o * inF + k] += sum;
            }
            float bias = 0;
            for (int i = 0; i < batch; i++) bias += dz[i * outF + o];
            db[o] += bias;
        }
        if (dx.IsEmpty) return;
        for (int i = 0; i < batch; i++)
            for (int k = 0; k < inF; k++)
            {
                float sum = 0;
                for (int o = 0; o < outF; o++) sum += dz[i * outF + o] * w[o * inF + k];
                dx[i * inF + k] = sum;
            }
    }

    public static void Activate(Activation act, Span<float> a, ReadOnlySpan<float> z)
    {
        for (int k = 0; k < z.Length; k++) a[k] = Apply(act, z[k]);
    }

    public static void AddActivate(Activation act, Span<float> a, Span<float> s, ReadOnlySpan<float> x, ReadOnlySpan<float> r)
    {
        for (int k = 0; k < x.Length; k++)
        {
            s[k] = x[k] + r[k];
            a[k] = Apply(act, s[k]);
        }
    }

    public static void ActivateBackward(Activation act, Span<float> dz, ReadOnlySpan<float> da, ReadOnlySpan<float> z,
        ReadOnlySpan<float> a)
    {
        for (int k = 0; k < da.Length; k++)
            dz[k] = act switch
            {
                Activation.ReLU => z[k] > 0 ? da[k] : 0,
                Activation.Sigmoid => da[k] * a[k] * (1 - a[k]),
                _ => da[k],
            };
    }

    public static void AddTo(Span<float> y, ReadOnlySpan<float> x)
    {
        for (int k = 0; k < x.Length; k++) y[k] += x[k];
    }

    public static float MeanSquaredError(Span<float> dOutput, ReadOnlySpan<float> output, ReadOnlySpan<float> target)
    {
        float sum = 0;
        for (int k = 0; k < output.Length; k++)
        {
            float d = output[k] - target[k];
            sum += d * d;
            dOutput[k] = 2 * d / output.Length;
        }
        return sum / output.Length;
    }

    public static float SoftmaxCrossEntropy(Span<float> dOutput, ReadOnlySpan<float> logits, ReadOnlySpan<int> labels,
        int batch, int classes)
    {
        float loss = 0;
        for (int i = 0; i < batch; i++)
        {
            float max = float.NegativeInfinity;
            for (int c = 0; c < classes; c++) max = MathF.Max(max, logits[i * classes + c]);
            float sum = 0;
            for (int c = 0; c < classes; c++) sum += MathF.Exp(logits[i * classes + c] - max);
            loss += max + MathF.Log(sum) - logits[i * classes + labels[i]];
            for (int c = 0; c < classes; c++)
                dOutput[i * classes + c] = (MathF.Exp(logits[i * classes + c] - max) / sum - (c == labels[i] ? 1 : 0)) / batch;
        }
        return loss / batch;
    }

    public static void SgdUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        for (int k = 0; k < parameters.Length; k++) parameters[k] -= learningRate * gradients[k];
    }

    private static float Apply(Activation act, float z) => act switch
    {
        Activation.ReLU => z > 0 ? z : 0,
        Activation.Sigmoid => 1 / (1 + MathF.Exp(-z)),
        _ => z,
    };
}
