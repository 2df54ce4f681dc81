using GradGen;
using GradGen.Diagnostics;
using GradGen.Samples.GradientFlow;

// One backward pass per network on a seeded random batch, then the L2 norm of each layer's weight gradient, first
// layer to last, next to the analyzers' forecast (the generated class's static Forecast: the numbers GG1001/GG1002 judge).
// Both are relative to the last layer's. Vanishing shows as norms falling towards the input; exploding as norms growing.
// Each network's gradient-flow figure goes to DIR/<class>.png and .svg (Figures.cs). Then the gradient doctor diagnoses
// the same batch (docs/doctor.md): its findings, its suggestions, and its full report as DIR/<class>.doctor.json.
// Usage: dotnet run --project samples/GradGen.Samples.GradientFlow -c Release [-- --seed N] [--out DIR]
// With --dashboard, it instead trains the sigmoid stack and the residual network side by side on the live dashboard.

ulong seed = Figures.ParseArguments(args);
if (Figures.Dashboard) return SideBySide.Run(seed);
const int Batch = 32;

Report("MLP 784-256-128-64-10, ReLU (monitored example)", new MonitoredMlp(Batch, seed), MonitoredMlp.Forecast);
foreach (var (depth, network, forecast) in new (int, Network<float, float>, NetworkForecast)[]
         {
             (5, new Sigmoid5(Batch, seed), Sigmoid5.Forecast), (10, new Sigmoid10(Batch, seed), Sigmoid10.Forecast),
             (20, new Sigmoid20(Batch, seed), Sigmoid20.Forecast), (50, new Sigmoid50(Batch, seed), Sigmoid50.Forecast),
         })
{
    Report($"Sigmoid stack, depth {depth} (bound on the chain of σ′: 0.25^{depth} = {Math.Pow(0.25, depth):E1})", network, forecast);
}
Report("Linear stack, depth 20, weights N(0, 1.5/√100): gain 1.5 per layer", new Exploding20(Batch, seed), Exploding20.Forecast);
Report("50 residual blocks of width 128", new Residual50(Batch, seed), Residual50.Forecast);
Report("50 plain blocks of width 128 (no skip)", new Plain50(Batch, seed), Plain50.Forecast);
Report("DenseNet-style: 20 blocks of growth 32", new DenseNet20(Batch, seed), DenseNet20.Forecast);
Report("Doctor demo: 100-256-256-256-10 sigmoid, init N(0, 0.01)", new DoctorDemo(Batch, seed), DoctorDemo.Forecast);
foreach (var (name, network, forecast) in new (string, Network<float, int>, NetworkForecast)[]
         {
             ("sigmoid", new Depth30Sigmoid(Batch, seed), Depth30Sigmoid.Forecast), ("tanh", new Depth30Tanh(Batch, seed), Depth30Tanh.Forecast),
             ("relu", new Depth30ReLU(Batch, seed), Depth30ReLU.Forecast), ("leaky_relu", new Depth30LeakyReLU(Batch, seed), Depth30LeakyReLU.Forecast),
             ("gelu", new Depth30GELU(Batch, seed), Depth30GELU.Forecast), ("silu", new Depth30SiLU(Batch, seed), Depth30SiLU.Forecast),
             ("softplus", new Depth30Softplus(Batch, seed), Depth30Softplus.Forecast), ("elu", new Depth30ELU(Batch, seed), Depth30ELU.Forecast),
         })
{
    Report($"Depth 30, {name}", network, forecast);
}
return 0;

void Report<TTarget>(string title, Network<float, TTarget> network, NetworkForecast forecast) where TTarget : unmanaged
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
    Console.WriteLine($"   loss {loss:F4}; ‖∂L/∂W‖ of {norms.Count} weight matrices, input side first, and relative to the last:");
    Console.WriteLine($"   {"weight",-16} {"‖∂L/∂W‖",12} {"measured",10} {"forecast",10}");
    var forecastOf = forecast.Layers.ToDictionary(l => l.Parameter, l => l.GradientScale);
    int step = Math.Max(1, norms.Count / 12); // long stacks: every step-th layer, and always the first and last
    for (int i = 0; i < norms.Count; i++)
    {
        if (i % step != 0 && i != norms.Count - 1) continue;
        int bar = norms[i].Norm > 0 ? Math.Clamp((int)Math.Round(3 * Math.Log10(norms[i].Norm) + 40), 0, 60) : 0;
        Console.WriteLine($"   {norms[i].Name,-16} {norms[i].Norm,12:E3} {norms[i].Norm / norms[^1].Norm,10:E1} {forecastOf[norms[i].Name],10:E1} {new string('#', bar)}");
    }
    double first = norms[0].Norm, last = norms[^1].Norm;
    Console.WriteLine($"   first / last layer: {first / last:E2} measured, {forecast.GradientRatio:E2} forecast (batch {Batch}; the forecast assumes 64)");
    Console.WriteLine();
    Figures.WriteGradientFlow(network, title);
    Doctor(network, input, targets, forecast);
}

void Doctor<TTarget>(Network<float, TTarget> network, float[] input, TTarget[] targets, NetworkForecast forecast) where TTarget : unmanaged
{
    var diagnosis = GradientDoctor.Diagnose(network, input, targets, forecast);
    Console.WriteLine("   doctor:");
    foreach (string line in diagnosis.FormatFindings().TrimEnd('\n').Split('\n')) Console.WriteLine("   " + line);
    foreach (var suggestion in GradientDoctor.Suggest(diagnosis)) Console.WriteLine("   fix: " + suggestion);
    string json = Path.Combine(Figures.OutputDirectory, network.GetType().Name + ".doctor.json");
    File.WriteAllText(json, diagnosis.ToJson());
    Console.WriteLine($"   report: {json}");
    // What re-initialisation can repair at run time, checked on the same batch, and a second diagnosis to show the
    // effect. The build-time forecast describes the declared initialisation, not the re-drawn weights: its comparisons
    // are left out of the second diagnosis.
    var fixes = GradientDoctor.ApplyQuickFixes(network, diagnosis, input, targets, seed);
    if (fixes.Count > 0)
    {
        Console.WriteLine($"   quick fixes: {fixes.Count} Dense layers re-initialised, e.g. {fixes[0]}; diagnosed again:");
        var after = GradientDoctor.Diagnose(network, input, targets, forecast);
        after = after with { Findings = after.Findings.Where(f => f.Kind != FindingKind.ForecastMismatch).ToList() };
        foreach (string line in after.FormatFindings().TrimEnd('\n').Split('\n')) Console.WriteLine("   " + line);
    }
    Console.WriteLine();
}
