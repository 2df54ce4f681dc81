namespace GradGen.Runtime.Tests.Optim;

/// <summary>
/// Hand-written scalar double versions of PyTorch's single-tensor updates, one line per PyTorch call, written
/// independently of the library's kernels. The tests compare the library against these.
/// </summary>
internal static class TorchReference
{
    /// <summary>ATen's scalar lerp (aten/src/ATen/native/Lerp.h).</summary>
    public static double Lerp(double self, double end, double weight) =>
        Math.Abs(weight) < 0.5 ? self + weight * (end - self) : end - (end - self) * (1 - weight);

    /// <summary>torch/optim/sgd.py, _single_tensor_sgd. <paramref name="buf"/> is null before the first step.</summary>
    public static void Sgd(double[] param, double[] gradIn, ref double[]? buf, double lr, double momentum,
        double dampening, bool nesterov, double weightDecay)
    {
        var grad = (double[])gradIn.Clone();
        if (weightDecay != 0)
            for (int i = 0; i < grad.Length; i++) grad[i] = grad[i] + weightDecay * param[i];     // grad.add(param, alpha=wd)
        if (momentum != 0)
        {
            if (buf is null) buf = (double[])grad.Clone();                                       // torch.clone(grad)
            else
                for (int i = 0; i < grad.Length; i++)
                {
                    buf[i] = buf[i] * momentum;                                                  // buf.mul_(momentum)
                    buf[i] = buf[i] + (1 - dampening) * grad[i];                                 //    .add_(grad, alpha=1 − dampening)
                }
            for (int i = 0; i < grad.Length; i++)
                grad[i] = nesterov ? grad[i] + momentum * buf[i] : buf[i];                       // grad.add(buf, alpha=momentum) / buf
        }
        for (int i = 0; i < param.Length; i++) param[i] = param[i] + (-lr) * grad[i];            // param.add_(grad, alpha=−lr)
    }

    /// <summary>torch/optim/adam.py, _single_tensor_adam (capturable=False, amsgrad=False); decoupled = AdamW.
    /// <paramref name="step"/> is state["step"] after its increment.</summary>
    public static void Adam(double[] param, double[] gradIn, double[] expAvg, double[] expAvgSq, int step,
        double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
    {
        var grad = (double[])gradIn.Clone();
        if (weightDecay != 0)
        {
            if (decoupled)
                for (int i = 0; i < param.Length; i++) param[i] = param[i] * (1 - lr * weightDecay);  // param.mul_(1 − lr·wd)
            else
                for (int i = 0; i < grad.Length; i++) grad[i] = grad[i] + weightDecay * param[i];   // grad.add(param, alpha=wd)
        }
        for (int i = 0; i < grad.Length; i++) expAvg[i] = Lerp(expAvg[i], grad[i], 1 - beta1);     // exp_avg.lerp_(grad, 1 − β1)
        for (int i = 0; i < grad.Length; i++)
        {
            expAvgSq[i] = expAvgSq[i] * beta2;                                                       // exp_avg_sq.mul_(β2)
            expAvgSq[i] = expAvgSq[i] + (1 - beta2) * grad[i] * grad[i];                             //   .addcmul_(grad, grad, value=1 − β2)
        }
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Sqrt(biasCorrection2);
        for (int i = 0; i < param.Length; i++)
        {
            double denom = Math.Sqrt(expAvgSq[i]) / biasCorrection2Sqrt;                             // exp_avg_sq.sqrt() / bc2_sqrt
            denom = denom + eps;                                                                     //   .add_(eps)
            param[i] = param[i] + (-stepSize) * expAvg[i] / denom;                                   // param.addcdiv_(exp_avg, denom, value=−step_size)
        }
    }
}

internal static class Numeric
{
    public static double[] RandomArray(ref Rng rng, int n, double low = -1, double high = 1)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextUniform(low, high);
        return a;
    }

    /// <summary>Doubles that are exactly representable as floats, so that float and double runs start equal.</summary>
    public static double[] RandomFloatExact(ref Rng rng, int n, double low = -1, double high = 1)
    {
        var a = RandomArray(ref rng, n, low, high);
        for (int i = 0; i < n; i++) a[i] = (float)a[i];
        return a;
    }

    public static T[] Convert<T>(double[] a) where T : System.Numerics.IFloatingPointIeee754<T> =>
        Array.ConvertAll(a, x => T.CreateChecked(x));

    /// <summary>max over i of |actual − expected| / max(|expected|, floor).</summary>
    public static double MaxRelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double floor = 1e-300)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), floor);
            if (!(error <= worst)) worst = error;   // NaN propagates as a failure
        }
        return worst;
    }

    public static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double relative, double floor = 1e-300)
    {
        double worst = MaxRelativeError(actual, expected, floor);
        Assert.True(worst <= relative, $"worst relative difference {worst:E3} exceeds {relative:E1}");
    }
}
