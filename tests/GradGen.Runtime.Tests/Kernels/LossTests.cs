using GradGen.Kernels;
using static GradGen.Runtime.Tests.Kernels.KernelTestUtil;

namespace GradGen.Runtime.Tests.Kernels;

public class LossTests
{
    private delegate double LossFunction(Span<double> dOutput, double[] output);

    private static void CheckGradient(LossFunction loss, double[] output, string name)
    {
        var grad = new double[output.Length];
        double value = loss(grad, output);
        Assert.Equal(value, loss([], output)); // the loss alone, without a gradient, is the same number
        for (int k = 0; k < output.Length; k++)
        {
            double saved = output[k];
            output[k] = saved + 1e-6;
            double up = loss([], output);
            output[k] = saved - 1e-6;
            double down = loss([], output);
            output[k] = saved;
            double numeric = (up - down) / 2e-6;
            Assert.True(Math.Abs(numeric - grad[k]) <= 1e-8 + 1e-6 * Math.Abs(grad[k]), $"{name}: d/doutput[{k}] = {grad[k]:R}, numeric {numeric:R}");
        }
    }

    [Fact]
    public void MeanSquaredErrorValueAndGradient()
    {
        double[] output = [1, 2, 3, 4], target = [0, 2, 5, 3];
        var d = new double[4];
        // (1 + 0 + 4 + 1)/4
        Assert.Equal(1.5, Losses.MeanSquaredError<double>(d, output, target, 2, 2));
        Assert.Equal(new double[] { 0.5, 0, -1, 0.5 }, d);
        double[] o = Random<double>(15, 1), t = Random<double>(15, 2);
        CheckGradient((g, x) => Losses.MeanSquaredError<double>(g, x, t, 3, 5), o, "mse");
        Assert.Equal(1.5f, Losses.MeanSquaredError<float>([], [1f, 2f, 3f, 4f], [0f, 2f, 5f, 3f], 2, 2));
    }

    [Fact]
    public void SoftmaxCrossEntropyValueAndGradient()
    {
        double[] logits = [1, 2, 3, -1, 0, 1];
        int[] target = [2, 0];
        double expected = (Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3 + Math.Log(Math.Exp(-1) + 1 + Math.Exp(1)) + 1) / 2;
        var d = new double[6];
        Assert.Equal(expected, Losses.SoftmaxCrossEntropy<double>(d, logits, target, 2, 3), 1e-15);
        double z0 = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        Assert.Equal((Math.Exp(3) / z0 - 1) / 2, d[2], 1e-16);
        Assert.Equal(Math.Exp(1) / z0 / 2, d[0], 1e-16);
        double[] o = Random<double>(4 * 7, 3, 4.0);
        int[] t = [0, 6, 3, 3];
        CheckGradient((g, x) => Losses.SoftmaxCrossEntropy<double>(g, x, t, 4, 7), o, "cross-entropy");
        // Each row of the gradient sums to zero (softmax sums to 1, the one-hot to 1).
        Losses.SoftmaxCrossEntropy<double>(d, logits, target, 2, 3);
        Assert.Equal(0.0, d[0] + d[1] + d[2], 1e-16);
    }

    [Fact]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        // Without the max subtraction e^1000 overflows to ∞ and the loss is NaN.
        double[] logits = [1000, 0, -1000, 1000];
        var d = new double[4];
        double loss = Losses.SoftmaxCrossEntropy<double>(d, logits, [1, 0], 2, 2);
        Assert.Equal((1000.0 + 2000.0) / 2, loss);
        Assert.Equal(new double[] { 0.5, -0.5, -0.5, 0.5 }, d);
        float lossF = Losses.SoftmaxCrossEntropy<float>([], [100f, 0f], [0], 1, 2);
        Assert.Equal(0f, lossF);
    }

    [Fact]
    public void SoftmaxCrossEntropyRejectsAClassOutsideTheRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>("target",
            () => Losses.SoftmaxCrossEntropy<double>(new double[6], new double[6], [1, 3], 2, 3));
        Assert.Contains("sample 1", ex.Message);
        Assert.Contains("3", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>("target", () => Losses.SoftmaxCrossEntropy<double>([], new double[3], [-1], 1, 3));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsValueAndGradient()
    {
        double[] x = [0.5, -2], t = [1, 0.25];
        static double Naive(double x, double t) => -(t * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - t) * Math.Log(1 - 1 / (1 + Math.Exp(-x))));
        var d = new double[2];
        Assert.Equal((Naive(0.5, 1) + Naive(-2, 0.25)) / 2, Losses.BinaryCrossEntropyWithLogits<double>(d, x, t, 1, 2), 1e-15);
        Assert.Equal((1 / (1 + Math.Exp(-0.5)) - 1) / 2, d[0], 1e-16);
        double[] o = Random<double>(12, 4, 5.0), tt = Random<double>(12, 5);
        for (int k = 0; k < tt.Length; k++) tt[k] = Math.Abs(tt[k]);
        CheckGradient((g, y) => Losses.BinaryCrossEntropyWithLogits<double>(g, y, tt, 3, 4), o, "bce");
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsIsStableForHugeLogits()
    {
        // Per element the loss is max(x, 0) − x·t + log(1 + e^−|x|) and its gradient (σ(x) − t)/n. The naive
        // −t·log σ(x) − (1 − t)·log(1 − σ(x)) gives log 0 = −∞ at x = −800, and 0 instead of e^−690 at x = 690.
        var d = new double[3];
        double loss = Losses.BinaryCrossEntropyWithLogits<double>(d, [-800, 800, -40], [1, 1, 0], 1, 3);
        // 800 + e^−800 (underflows to 0) + log(1 + e^−40) (≈ 4.2e-18, below half an ulp of 800).
        Assert.Equal(800.0 / 3, loss);
        Assert.Equal(-1.0 / 3, d[0]);                                          // σ(−800) − 1 = −1
        Assert.Equal(0.0, d[1]);                                               // σ(800) − 1 = 0
        AssertRelative(1 / (1 + Math.Exp(40)) / 3, d[2], 1e-15);              // σ(−40) ≈ 4.2e-18: not rounded to 0

        // Tails far below 1 survive on their own: log(1 + e^−690) = e^−690 ≈ 2.3e-300.
        var tail = new double[1];
        AssertRelative(Math.Exp(-690), Losses.BinaryCrossEntropyWithLogits<double>(tail, [690], [1], 1, 1), 1e-15);
        Assert.Equal(-Math.Exp(-690), tail[0], 1e-299);                       // σ(690) − 1 = −2.2e-300, rounded to 0 as σ(690) is 1
        AssertRelative(Math.Exp(-40), Losses.BinaryCrossEntropyWithLogits<double>([], [-40], [0], 1, 1), 1e-15);
    }

    private static void AssertRelative(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void CountCorrectUsesFirstArgmax()
    {
        double[] logits = [0.1, 0.9, 0.0, /**/ 2, 2, 1, /**/ -1, -3, -0.5];
        Assert.Equal(3, Losses.CountCorrect<double>(logits, [1, 0, 2], 3, 3));
        Assert.Equal(1, Losses.CountCorrect<double>(logits, [1, 1, 0], 3, 3));
        Assert.Equal(0, Losses.CountCorrect<float>([1f, 2f], [7], 1, 2));
    }
}
