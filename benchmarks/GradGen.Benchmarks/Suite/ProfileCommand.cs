using GradGen.Kernels;
using GradGen.Optim;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--profile [network…]</c>: where the generated SGD step (batch 32) spends its time, in thread CPU time
/// (see <see cref="CpuTimeCommand"/>): the whole step, then its phases one at a time (zeroing, forward, loss, backward,
/// the update with its non-finite check), then each Dense layer's forward and backward kernel alone at the network's
/// shapes, with its rate in GFLOP/s, and the backward's parts (the dz pass alone, then with dw or with dx alone). Phases and kernels are timed separately, each with its data warm in the caches,
/// so they need not add up to the step.</summary>
public static class ProfileCommand
{
    public static int Run(string[] args)
    {
        if (!CpuTimeCommand.TryParseNetworks(args, out var networks)) return 2;
        Console.WriteLine($"Thread CPU time, µs, fastest of 15 windows; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var network in networks)
        {
            Console.WriteLine();
            Console.WriteLine($"## {network}, batch {BenchmarkNetworks.StepBatch}");
            Console.WriteLine("| phase | µs | GFLOP/s |");
            Console.WriteLine("| --- | ---: | ---: |");
            Phases(network);
            Kernels(network);
        }
        return 0;
    }

    private static void Phases(BenchmarkNetwork network)
    {
        const int B = BenchmarkNetworks.StepBatch;
        var variant = (GeneratedVariant)BenchmarkNetworks.Create(network, Variant.Generated, B);
        var data = BenchmarkNetworks.CreateData(network, B);
        var net = variant.Network;
        var sgd = new Sgd<float>(net.ParameterCount, BenchmarkNetworks.LearningRate);
        Action loss, backward;
        if (net is Network<float, int> classifier)
        {
            loss = () => classifier.ComputeLoss(data.Labels);
            backward = () => { classifier.ComputeLoss(data.Labels); classifier.Backward(); };
        }
        else
        {
            var regressor = (Network<float, float>)net;
            loss = () => regressor.ComputeLoss(data.Targets);
            backward = () => { regressor.ComputeLoss(data.Targets); regressor.Backward(); };
        }
        long flops = BenchmarkNetworks.TrainStepFlops(network, B), backwardFlops = flops - BenchmarkNetworks.ForwardFlops(network, B);
        Line("step", CpuTimeCommand.Time(() => variant.TrainStep(data)), flops);
        // ZeroGradients only marks the gradients cleared; the backward after it writes them instead of adding to them.
        Line("zero gradients (a mark: the next backward writes them)", CpuTimeCommand.Time(net.ZeroGradients), 0);
        Line("forward", CpuTimeCommand.Time(() => net.Forward(data.Input)), BenchmarkNetworks.ForwardFlops(network, B));
        double lossTime = CpuTimeCommand.Time(loss);
        Line("loss", lossTime, 0);
        Line("backward, writing the gradients (as in TrainStep)", CpuTimeCommand.Time(() => { net.ZeroGradients(); backward(); }) - lossTime, backwardFlops);
        Line("backward, adding into the gradients", CpuTimeCommand.Time(backward) - lossTime, backwardFlops);
        // After a standalone ApplyUpdate the gradients are no longer vouched for, so each repetition checks them: in
        // TrainStep the backward's kernels have checked them, and the update is the SGD line below alone.
        Line("update (non-finite check + SGD)", CpuTimeCommand.Time(() => ApplyUpdate(net, sgd)), 0);
        Line("  of which the check (Gradients.AllFinite)", CpuTimeCommand.Time(() => GradGen.Kernels.Gradients.AllFinite<float>(net.Gradients)), 0);
        Line("  of which SGD (Optimizer.Step)", CpuTimeCommand.Time(() => sgd.Step(net.Parameters, net.Gradients)), 0);
        Line("  HandWrittenExpert's update (TensorPrimitives.MultiplyAdd, no check)", CpuTimeCommand.Time(() =>
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(net.Gradients, -BenchmarkNetworks.LearningRate, net.Parameters, net.Parameters)), 0);
    }

    private static void ApplyUpdate(Network<float> net, Sgd<float> sgd)
    {
        if (net is Network<float, int> c) c.ApplyUpdate(sgd);
        else ((Network<float, float>)net).ApplyUpdate(sgd);
    }

    // Each distinct Linear shape, alone: forward (ReLU, z not kept) and backward (ReLU read off a; dx unless it is the
    // first layer), on buffers of its own.
    private static void Kernels(BenchmarkNetwork network)
    {
        const int B = BenchmarkNetworks.StepBatch;
        var shapes = BenchmarkNetworks.LinearShapes(network);
        var seen = new HashSet<(int, int, bool)>();
        for (int l = 0; l < shapes.Length; l++)
        {
            var (k, n) = shapes[l];
            bool first = l == 0;
            if (!seen.Add((k, n, first))) continue;
            var rng = new Rng(3);
            float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)rng.NextNormal()).ToArray();
            float[] x = Random(B * k), w = Random(n * k), bias = Random(n), a = new float[B * n], da = Random(B * n);
            float[] dz = new float[B * n], dw = new float[n * k], db = new float[n], dx = first ? [] : new float[B * k];
            long flops = 2L * B * k * n;
            Line($"Dense {k}→{n} forward", CpuTimeCommand.Time(() =>
                Dense.Forward<float, ReLU>(a, n, default, x, k, w, bias, default, 0, B, k, n, default)), flops);
            Line($"Dense {k}→{n} backward{(first ? " (no dx)" : "")}", CpuTimeCommand.Time(() =>
                Dense.Backward<float, ReLU>(dx, k, false, dw, db, dz, da, n, a, a, n, x, k, w, B, k, n, default)), first ? flops : 2 * flops);
            // The backward's parts, dw written as in TrainStep: the dz pass alone (no dx, no dw), then with each product.
            Line("  dz pass (with db) alone", CpuTimeCommand.Time(() =>
                Dense.Backward<float, ReLU>(default, k, false, default, db, accumulateDw: false, dz, da, n, a, a, n, x, k, w, B, k, n, default)), 0);
            Line("  dz pass + dw (no dx)", CpuTimeCommand.Time(() =>
                Dense.Backward<float, ReLU>(default, k, false, dw, db, accumulateDw: false, dz, da, n, a, a, n, x, k, w, B, k, n, default)), flops);
            if (!first)
                Line("  dz pass + dx (no dw)", CpuTimeCommand.Time(() =>
                    Dense.Backward<float, ReLU>(dx, k, false, default, db, accumulateDw: false, dz, da, n, a, a, n, x, k, w, B, k, n, default)), flops);
        }
    }

    private static void Line(string phase, double microseconds, long flops) =>
        Console.WriteLine($"| {phase} | {microseconds:F1} | {(flops == 0 ? "" : (flops / microseconds / 1e3).ToString("F1"))} |");
}
