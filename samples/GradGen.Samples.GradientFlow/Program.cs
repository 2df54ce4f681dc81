using GradGen;
using GradGen.Samples.GradientFlow;

// One backward pass per network on a seeded random batch, then the L2 norm of each layer's weight gradient, first
// layer to last. Vanishing shows as norms falling towards the input; exploding as norms growing.
// Each network's gradient-flow figure goes to DIR/<class>.png and .svg (Figures.cs).
// Usage: dotnet run --project samples/GradGen.Samples.GradientFlow -c Release [-- --seed N] [--out DIR]

ulong seed = Figures.ParseArguments(args);
const int Batch = 32;

Report("MLP 784-256-128-64-10, ReLU (monitored example)", new MonitoredMlp(Batch, seed));
foreach (var (depth, network) in new (int, Network<float, float>)[]
         { (5, new Sigmoid5(Batch, seed)), (10, new Sigmoid10(Batch, seed)), (20, new Sigmoid20(Batch, seed)), (50, new Sigmoid50(Batch, seed)) })
{
    Report($"Sigmoid stack, depth {depth} (bound on the chain of σ′: 0.25^{depth} = {Math.Pow(0.25, depth):E1})", network);
}
Report("Linear stack, depth 20, weights N(0, 1.5/√100): gain 1.5 per layer", new Exploding20(Batch, seed));
Report("50 residual blocks of width 128", new Residual50(Batch, seed));
Report("50 plain blocks of width 128 (no skip)", new Plain50(Batch, seed));
Report("DenseNet-style: 20 blocks of growth 32", new DenseNet20(Batch, seed));
Report("Doctor demo: 100-256-256-256-10 sigmoid, init N(0, 0.01)", new DoctorDemo(Batch, seed));
foreach (var (name, network) in new (string, Network<float, int>)[]
         {
             ("sigmoid", new Depth30Sigmoid(Batch, seed)), ("tanh", new Depth30Tanh(Batch, seed)), ("relu", new Depth30ReLU(Batch, seed)),
             ("leaky_relu", new Depth30LeakyReLU(Batch, seed)), ("gelu", new Depth30GELU(Batch, seed)), ("silu", new Depth30SiLU(Batch, seed)),
             ("softplus", new Depth30Softplus(Batch, seed)), ("elu", new Depth30ELU(Batch, seed)),
         })
{
    Report($"Depth 30, {name}", network);
}

void Report<TTarget>(string title, Network<float, TTarget> network) where TTarget : unmanaged
{
    var rng = new Rng(seed + 1);
    var input = new float[Batch * network.InputSize];
    foreach (ref float x in input.AsSpan()) x = (float)rng.NextNormal();
    var targets = new TTarget[Batch * (typeof(TTarget) == typeof(int) ? 1 : network.OutputSize)];
    for (int i = 0; i < targets.Length; i++)
        targets[i] = typeof(TTarget) == typeof(int) ? (TTarget)(object)rng.NextInt(network.OutputSize) : (TTarget)(object)(float)rng.NextDouble();
    network.ZeroGradients();
    float loss = network.ComputeGradients(input, targets);

    var norms = network.ParameterTable.Where(p => p.Shape.Length == 2)
        .Select(p => (p.Name, Norm: Math.Sqrt(network.Gradient(p.Name).ToArray().Sum(g => (double)g * g)))).ToList();
    Console.WriteLine($"== {title}");
    Console.WriteLine($"   loss {loss:F4}; ‖∂L/∂W‖ of {norms.Count} weight matrices, input side first:");
    int step = Math.Max(1, norms.Count / 12); // long stacks: every step-th layer, and always the first and last
    for (int i = 0; i < norms.Count; i++)
    {
        if (i % step != 0 && i != norms.Count - 1) continue;
        int bar = norms[i].Norm > 0 ? Math.Clamp((int)Math.Round(3 * Math.Log10(norms[i].Norm) + 40), 0, 60) : 0;
        Console.WriteLine($"   {norms[i].Name,-16} {norms[i].Norm,12:E3} {new string('#', bar)}");
    }
    double first = norms[0].Norm, last = norms[^1].Norm;
    Console.WriteLine($"   first / last layer: {first / last:E2}");
    Figures.WriteGradientFlow(network, title);
}
