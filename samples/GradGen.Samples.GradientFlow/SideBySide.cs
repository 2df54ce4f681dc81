using GradGen.Dashboard;
using GradGen.Optim;

namespace GradGen.Samples.GradientFlow;

/// <summary>--dashboard: the article's two extremes trained side by side on one dashboard page. The 20-layer sigmoid
/// stack (its gradient norms fall by decades towards the input, past the vanishing threshold) beside the 50-block
/// residual network (its norms stay within a decade of each other). Each learns a small synthetic task: the sigmoid
/// stack a regression on its first inputs, the residual network the index of the largest of its first 10 inputs.</summary>
internal sealed class SideBySide
{
    public const int Batch = 32, Steps = 600, SampleEvery = 4; // 150 samples a run: about 10 MB of records for the page

    /// <summary>The runs' names on the page (their <c>run</c> field).</summary>
    public const string SigmoidRun = "Sigmoid20", ResidualRun = "Residual50";

    private readonly Sgd<float> _sigmoidOptimizer, _residualOptimizer;
    private Rng _rng; // a mutable struct: not readonly, or every draw would be from a copy
    private readonly float[] _x1, _y1, _x2;
    private readonly int[] _y2;

    /// <summary>Both networks, seeded, with their monitors on (one step in <see cref="SampleEvery"/> sampled).</summary>
    public SideBySide(ulong seed)
    {
        Sigmoid = new Sigmoid20(Batch, seed);
        Residual = new Residual50(Batch, seed);
        foreach (var monitor in new[] { Sigmoid.Monitor!, Residual.Monitor! })
        {
            monitor.Enabled = true;
            monitor.SampleEvery = SampleEvery;
        }
        _sigmoidOptimizer = new Sgd<float>(Sigmoid.ParameterCount, 0.05, momentum: 0.9);
        _residualOptimizer = new Sgd<float>(Residual.ParameterCount, 0.01, momentum: 0.9);
        _rng = new Rng(seed + 1);
        _x1 = new float[Batch * Sigmoid.InputSize];
        _y1 = new float[Batch];
        _x2 = new float[Batch * Residual.InputSize];
        _y2 = new int[Batch];
    }

    public Sigmoid20 Sigmoid { get; }

    public Residual50 Residual { get; }

    /// <summary>Adds both runs to <paramref name="feed"/>, the sigmoid stack first (the left column).</summary>
    public void AddTo(DashboardFeed feed)
    {
        feed.AddRun(SigmoidRun, "Sigmoid stack, depth 20 (vanishing gradients)", Sigmoid.Monitor!);
        feed.AddRun(ResidualRun, "50 residual blocks of width 128", Residual.Monitor!);
    }

    /// <summary>Trains both networks <paramref name="steps"/> steps of <see cref="Batch"/>, each on a fresh batch (SGD,
    /// momentum 0.9).</summary>
    public void Train(int steps)
    {
        for (int step = 1; step <= steps; step++)
        {
            // Regression target: 0.5 + 0.1 · (sum of the first 5 inputs).
            for (int i = 0; i < Batch; i++)
            {
                double sum = 0;
                for (int j = 0; j < Sigmoid.InputSize; j++)
                {
                    float v = (float)_rng.NextNormal();
                    _x1[i * Sigmoid.InputSize + j] = v;
                    if (j < 5) sum += v;
                }
                _y1[i] = (float)(0.5 + 0.1 * sum);
            }
            // Classification target: the index of the largest of the first 10 inputs.
            for (int i = 0; i < Batch; i++)
            {
                for (int j = 0; j < Residual.InputSize; j++) _x2[i * Residual.InputSize + j] = (float)_rng.NextNormal();
                _y2[i] = _x2.AsSpan(i * Residual.InputSize, 10).IndexOf(System.Numerics.Tensors.TensorPrimitives.Max<float>(_x2.AsSpan(i * Residual.InputSize, 10)));
            }
            Sigmoid.TrainStep(_x1, _y1, _sigmoidOptimizer);
            Residual.TrainStep(_x2, _y2, _residualOptimizer);
        }
    }

    public static int Run(ulong seed)
    {
        var sideBySide = new SideBySide(seed);
        using var feed = new DashboardFeed();
        sideBySide.AddTo(feed);
        var server = DashboardServer.StartAsync(feed).GetAwaiter().GetResult();
        Console.WriteLine($"Dashboard: {server.Url}");
        Console.WriteLine($"Training both networks for {Steps} steps of {Batch} (SGD, momentum 0.9), one step in {SampleEvery} sampled…");
        sideBySide.Train(Steps);
        feed.Flush();
        Console.WriteLine($"Done. The dashboard stays up at {server.Url}; press Ctrl+C to stop.");
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        stop.Wait();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return 0;
    }
}
