using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GradGen.Benchmarks.Suite;

namespace GradGen.Benchmarks.Tests;

/// <summary>CI runs the benchmarks only as a smoke test: the suite's benchmarks under BenchmarkDotNet's Dry job (one
/// invocation of each case), in this process, then the tables written from them. Nothing here looks at a time.</summary>
public class BenchmarkSmokeTests
{
    [Fact]
    public void SuiteRunsEveryCaseAndWritesItsTables()
    {
        string artifacts = Path.Combine(Path.GetTempPath(), "gradgen-bench-smoke-" + Environment.ProcessId);
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
            .AddLogger(NullLogger.Instance)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        try
        {
            var summaries = SuiteCommand.RunBenchmarks(config, inference: true);
            Assert.True(SuiteCommand.AllSucceeded(summaries),
                string.Join("; ", summaries.SelectMany(s => s.ValidationErrors.Select(e => e.Message)
                    .Concat(s.Reports.Where(r => !r.Success).Select(r => r.BenchmarkCase.DisplayInfo + " failed")))));

            var results = Measurement.From(summaries);
            // 3 widths of peak, 5 networks × 4 variants of steps, 5 networks × 2 batches × 4 variants of inference.
            Assert.Equal(3 + 20 + 40, results.Count);
            string tables = ResultTables.Write(new SavedRun(MachineInfo.Current(), DateTime.UtcNow, results), []);
            foreach (var network in Enum.GetValues<BenchmarkNetwork>())
                Assert.Contains($"| {network} |", tables);
            Assert.Contains("| Vector128 |", tables);
        }
        finally
        {
            if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        }
    }
}
