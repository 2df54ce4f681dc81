#:project ../src/GradGen/GradGen.csproj
#:property AllowUnsafeBlocks=true
// What a 64-byte boundary is worth to Adam's update (AlignedArray): one Adam step over the 784-256-128-64-10 MLP's
// 242,762 float parameters, with the parameters and gradients on a 64-byte boundary and 16 bytes past one; the
// optimizer's own moments are on a boundary in both. Six rounds, 2,000 steps each way per round, wall clock.
// Usage: taskset -c 0 dotnet run -c Release benchmarks/optimizer-alignment.cs   (docs/dashboard-overhead.md)
using System.Diagnostics;
using GradGen.Optim;

const int n = 242762, steps = 2000;
var p = GC.AllocateArray<float>(n + 64, pinned: true);
var g = GC.AllocateArray<float>(n + 64, pinned: true);
for (int i = 0; i < p.Length; i++) { p[i] = 0.01f * (i % 100); g[i] = 1e-3f * (i % 37); }
int pa = FirstBoundary(p), ga = FirstBoundary(g);
Console.WriteLine($"CPU: {File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim()}; {DateTime.UtcNow:HH:mm} UTC; load {File.ReadAllText("/proc/loadavg").Trim()}");
for (int round = 0; round < 6; round++)
{
    foreach (int offset in new[] { 0, 4 })
    {
        var adam = new Adam<float>(n, 1e-4);
        var ps = p.AsSpan(pa + offset, n);
        var gs = g.AsSpan(ga + offset, n);
        for (int w = 0; w < 200; w++) adam.Step(ps, gs);
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < steps; k++) adam.Step(ps, gs);
        Console.Write($"{offset * 4,2} bytes past a boundary: {Stopwatch.GetElapsedTime(start).TotalMicroseconds / steps,5:F1} µs   ");
    }
    Console.WriteLine();
}

static unsafe int FirstBoundary(float[] a)
{
    fixed (float* x = a) return (int)((64 - (nint)x % 64) % 64) / sizeof(float);
}
