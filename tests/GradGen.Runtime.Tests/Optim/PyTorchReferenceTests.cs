using GradGen.Optim;
using Xunit.Abstractions;

namespace GradGen.Runtime.Tests.Optim;

/// <summary>
/// Three optimizer steps of Dense(4→6) → ReLU → Dense(6→3) with cross-entropy, computed by libtorch 2.10 in float64
/// (tests/GradGen.Tests/Reference/optim_*.safetensors). The gradients of each step are computed here by a small
/// hand-written forward and backward pass, checked against PyTorch's loss before each step.
/// </summary>
public class PyTorchReferenceTests(ITestOutputHelper output)
{
    // model.parameters() order, flattened: 0.weight [6,4], 0.bias [6], 1.weight [3,6], 1.bias [3].
    private static readonly string[] Names = ["0.weight", "0.bias", "1.weight", "1.bias"];
    private const int In = 4, Hidden = 6, Out = 3, Count = Hidden * In + Hidden + Out * Hidden + Out;

    [Fact]
    public void Sgd() => Run("optim_sgd", "SGD lr=0.1;", new Sgd<double>(Count, 0.1));

    [Fact]
    public void SgdMomentumWeightDecay() => Run("optim_sgd_momentum", "SGD lr=0.1 momentum=0.9 dampening=0 nesterov=false weight_decay=0.01",
        new Sgd<double>(Count, 0.1, momentum: 0.9, weightDecay: 0.01));

    [Fact]
    public void Adam() => Run("optim_adam", "Adam lr=0.01 betas=(0.9,0.999) eps=1e-8 weight_decay=0;", new Adam<double>(Count, 0.01));

    [Fact]
    public void AdamW() => Run("optim_adamw", "AdamW lr=0.01 betas=(0.9,0.999) eps=1e-8 weight_decay=0.1",
        new AdamW<double>(Count, 0.01, weightDecay: 0.1));

    private void Run(string caseName, string expectedSpec, Optimizer<double> optimizer)
    {
        var file = new ReferenceFile(caseName);
        Assert.Contains(expectedSpec, file.Spec);   // the hyper-parameters above are the file's
        double[] x = file.Doubles("input");
        long[] target = file.Longs("target");
        double[] parameters = Names.SelectMany(n => file.Doubles("param." + n)).ToArray();
        Assert.Equal(Count, parameters.Length);
        var gradients = new double[Count];

        for (int step = 1; step <= 3; step++)
        {
            double loss = LossAndGradient(parameters, x, target, gradients);
            Assert.Equal(file.Doubles($"loss.step{step}")[0], loss, 1e-13);
            optimizer.Step(parameters, gradients);
            double[] expected = Names.SelectMany(n => file.Doubles($"after.step{step}.{n}")).ToArray();
            double worst = Numeric.MaxRelativeError(parameters, expected, floor: 1e-3);
            output.WriteLine($"{caseName} step {step}: worst relative difference {worst:E2}");
            Assert.True(worst <= 1e-13, $"{caseName} step {step}: {worst:E2}");
        }
    }

    /// <summary>Mean cross-entropy of Dense(4→6) → ReLU → Dense(6→3) over the batch, and its gradient.</summary>
    private static double LossAndGradient(double[] p, double[] x, long[] target, double[] grad)
    {
        int batch = target.Length;
        ReadOnlySpan<double> w0 = p.AsSpan(0, Hidden * In), b0 = p.AsSpan(Hidden * In, Hidden);
        ReadOnlySpan<double> w1 = p.AsSpan(Hidden * In + Hidden, Out * Hidden), b1 = p.AsSpan(Hidden * In + Hidden + Out * Hidden, Out);
        Span<double> dw0 = grad.AsSpan(0, Hidden * In), db0 = grad.AsSpan(Hidden * In, Hidden);
        Span<double> dw1 = grad.AsSpan(Hidden * In + Hidden, Out * Hidden), db1 = grad.AsSpan(Hidden * In + Hidden + Out * Hidden, Out);
        Array.Clear(grad);
        double loss = 0;
        Span<double> pre = stackalloc double[Hidden], h = stackalloc double[Hidden], z = stackalloc double[Out];
        Span<double> dz = stackalloc double[Out], dh = stackalloc double[Hidden];
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<double> xb = x.AsSpan(b * In, In);
            for (int o = 0; o < Hidden; o++)
            {
                double s = b0[o];
                for (int i = 0; i < In; i++) s += w0[o * In + i] * xb[i];
                pre[o] = s;
                h[o] = Math.Max(s, 0);
            }
            double max = double.NegativeInfinity;
            for (int k = 0; k < Out; k++)
            {
                double s = b1[k];
                for (int o = 0; o < Hidden; o++) s += w1[k * Hidden + o] * h[o];
                z[k] = s;
                max = Math.Max(max, s);
            }
            double sum = 0;
            for (int k = 0; k < Out; k++) sum += Math.Exp(z[k] - max);
            loss += max + Math.Log(sum) - z[(int)target[b]];

            for (int k = 0; k < Out; k++) dz[k] = (Math.Exp(z[k] - max) / sum - (k == target[b] ? 1 : 0)) / batch;
            dh.Clear();
            for (int k = 0; k < Out; k++)
            {
                db1[k] += dz[k];
                for (int o = 0; o < Hidden; o++)
                {
                    dw1[k * Hidden + o] += dz[k] * h[o];
                    dh[o] += dz[k] * w1[k * Hidden + o];
                }
            }
            for (int o = 0; o < Hidden; o++)
            {
                double d = pre[o] > 0 ? dh[o] : 0;
                db0[o] += d;
                for (int i = 0; i < In; i++) dw0[o * In + i] += d * xb[i];
            }
        }
        return loss / batch;
    }
}
