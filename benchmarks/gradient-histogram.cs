#:project ../src/GradGen/GradGen.csproj
// What a sampled step's gradient histograms cost (GradientHistogram.Count): the output gradients of the
// 784-256-128-64-10 MLP's four layers at batch 128 (128 rows of 256 + 128 + 64 + 10 = 458 values), half of them exact
// zeros at random places (a ReLU layer's inactive units) and the rest spread over five decades. Five rounds of 2,000
// calls, wall clock, after 2,000 warm-up calls.
// Usage: taskset -c 0 dotnet run -c Release benchmarks/gradient-histogram.cs   (docs/instrumentation-overhead.md)
using System.Diagnostics;
using GradGen.Monitoring;

const int rows = 128, cols = 256 + 128 + 64 + 10, calls = 2000;
var rng = new Random(1);
var values = new float[rows * cols];
for (int i = 0; i < values.Length; i++)
    values[i] = rng.NextDouble() < 0.5 ? 0f : (float)((rng.NextDouble() - 0.5) * Math.Pow(10, -rng.Next(2, 7)));
var counts = new long[GradientHistogram.Length];
for (int i = 0; i < calls; i++) GradientHistogram.Count<float>(values, rows, cols, cols, counts);
Console.Write($"CPU: {File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim()}; {DateTime.UtcNow:HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}; µs per call:");
for (int round = 0; round < 5; round++)
{
    long start = Stopwatch.GetTimestamp();
    for (int i = 0; i < calls; i++) GradientHistogram.Count<float>(values, rows, cols, cols, counts);
    Console.Write($" {Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls:F1}");
}
Console.WriteLine($"; {counts[0]:N0} zeros of {values.Length:N0}");
