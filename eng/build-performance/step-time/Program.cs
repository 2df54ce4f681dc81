using System.Diagnostics;
using GradGen;
using GradGen.Optim;

// dotnet <dir>/StepTime.dll [networks=mlp,residual,sigmoid] [timed loops=7]: CPU µs per step, the median of the loops.
var only = args.Length > 0 ? args[0].Split(',') : new[] { "mlp", "residual", "sigmoid" };
int loops = args.Length > 1 ? int.Parse(args[1]) : 7;

double Time(Action step, int steps)
{
    for (int i = 0; i < 200; i++) step();
    var times = new List<double>();
    for (int rep = 0; rep < loops; rep++)
    {
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < steps; i++) step();
        times.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / steps);
    }
    times.Sort();
    return times[loops / 2];
}
var rng = new Random(1);
float[] R(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
const int B = 32;
var mlp = new Mlp(B, 1); var xm = R(B * 784); var ym = Enumerable.Range(0, B).Select(i => i % 10).ToArray(); var om = new Sgd<float>(mlp.ParameterCount, 0.01);
var res = new Residual50(B, 1); var xr = R(B * 128); var yr = R(B * 128); var or = new Sgd<float>(res.ParameterCount, 0.001);
var sig = new Sigmoid20(B, 1); var xs = R(B * 100); var ys = R(B); var os = new Sgd<float>(sig.ParameterCount, 0.01);
var line = new List<string>();
if (only.Contains("mlp")) line.Add($"mlp {Time(() => mlp.TrainStep(xm, ym, om), 1000):F1} us");
if (only.Contains("residual")) line.Add($"residual50x128 {Time(() => res.TrainStep(xr, yr, or), 300):F1} us");
if (only.Contains("sigmoid")) line.Add($"sigmoid20x100 {Time(() => sig.TrainStep(xs, ys, os), 2000):F1} us");
Console.WriteLine(string.Join("  ", line));

[Network(784, Loss = Loss.SoftmaxCrossEntropy)]
[Dense(256, Activation.ReLU)] [Dense(128, Activation.ReLU)] [Dense(64, Activation.ReLU)] [Dense(10)]
public partial class Mlp;

[Network(128, Loss = Loss.MeanSquaredError)]
[Repeat(50)] [Residual(Activation.ReLU)] [Dense(128, Activation.ReLU, Name = "fc1")] [Dense(128, Name = "fc2")] [EndResidual] [EndRepeat]
public partial class Residual50;

[Network(100, Loss = Loss.MeanSquaredError)]
[Repeat(20)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
public partial class Sigmoid20;
