using GradGen.Dashboard;
using GradGen.Optim;

namespace GradGen.Samples.GradientFlow;

/// <summary>--dashboard: the article's two extremes trained side by side on one dashboard page. The 20-layer sigmoid
/// stack (its gradient norms fall by decades towards the input, past the vanishing threshold) beside the 50-block
/// residual network (its norms stay within a decade of each other). Each learns a small synthetic task: the sigmoid
/// stack a regression on its first inputs, the residual network the index of the largest of its first 10 inputs.</summary>
internal static class SideBySide
{
    private const int Batch = 32, Steps = 600, SampleEvery = 4; // 150 samples a run: about 10 MB of records for the page

    public static int Run(ulong seed)
    {
        var sigmoid = new Sigmoid20(Batch, seed);
        var residual = new Residual50(Batch, seed);
        using var feed = new DashboardFeed();
        foreach (var monitor in new[] { sigmoid.Monitor!, residual.Monitor! })
        {
            monitor.Enabled = true;
            monitor.SampleEvery = SampleEvery;
        }
        feed.AddRun("Sigmoid20", "Sigmoid stack, depth 20 (vanishing gradients)", sigmoid.Monitor!);
        feed.AddRun("Residual50", "50 residual blocks of width 128", residual.Monitor!);
        var server = DashboardServer.StartAsync(feed).GetAwaiter().GetResult();
        Console.WriteLine($"Dashboard: {server.Url}");
        Console.WriteLine($"Training both networks for {Steps} steps of {Batch} (SGD, momentum 0.9), one step in {SampleEvery} sampled…");

        var sigmoidOptimizer = new Sgd<float>(sigmoid.ParameterCount, 0.05, momentum: 0.9);
        var residualOptimizer = new Sgd<float>(residual.ParameterCount, 0.01, momentum: 0.9);
        var rng = new Rng(seed + 1);
        var x1 = new float[Batch * sigmoid.InputSize];
        var y1 = new float[Batch];
        var x2 = new float[Batch * residual.InputSize];
        var y2 = new int[Batch];
        for (int step = 1; step <= Steps; step++)
        {
            // Regression target: 0.5 + 0.1 · (sum of the first 5 inputs).
            for (int i = 0; i < Batch; i++)
            {
                double sum = 0;
                for (int j = 0; j < sigmoid.InputSize; j++)
                {
                    float v = (float)rng.NextNormal();
                    x1[i * sigmoid.InputSize + j] = v;
                    if (j < 5) sum += v;
                }
                y1[i] = (float)(0.5 + 0.1 * sum);
            }
            // Classification target: the index of the largest of the first 10 inputs.
            for (int i = 0; i < Batch; i++)
            {
                for (int j = 0; j < residual.InputSize; j++) x2[i * residual.InputSize + j] = (float)rng.NextNormal();
                y2[i] = x2.AsSpan(i * residual.InputSize, 10).IndexOf(System.Numerics.Tensors.TensorPrimitives.Max<float>(x2.AsSpan(i * residual.InputSize, 10)));
            }
            sigmoid.TrainStep(x1, y1, sigmoidOptimizer);
            residual.TrainStep(x2, y2, residualOptimizer);
        }
        feed.Flush();
        Console.WriteLine($"Done. The dashboard stays up at {server.Url}; press Ctrl+C to stop.");
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        stop.Wait();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
