using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--suite</c>: the peak FMA rate, the SGD steps and the inference benchmarks in one BenchmarkDotNet run,
/// then the tables of docs/benchmarks.md (each step as a fraction of the peak, against libtorch when its output is
/// given). Options:
/// <list type="bullet">
/// <item><c>--libtorch FILE</c> (repeatable): the output of /work/shared/libtorch-bench/run.sh, run in the same session;</item>
/// <item><c>--out FILE</c>: also write the tables there;</item>
/// <item><c>--no-inference</c>: skip the inference benchmarks;</item>
/// <item><c>--dry</c>: BenchmarkDotNet's Dry job (one invocation each): a smoke test, no meaningful times.</item>
/// </list></summary>
public static class SuiteCommand
{
    /// <summary>The suite's job: short, so that one width takes a few minutes on a busy 2-core machine, and one
    /// launch, so that the spread between processes shows up between runs, not inside one.</summary>
    public static Job SuiteJob { get; } = Job.Default
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7)
        .WithIterationTime(TimeInterval.FromMilliseconds(200))
        .WithId("Suite");

    public static int Run(string[] args)
    {
        var libtorchFiles = new List<string>();
        string? outFile = null;
        bool inference = true, dry = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--libtorch" when i + 1 < args.Length: libtorchFiles.Add(args[++i]); break;
                case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
                case "--no-inference": inference = false; break;
                case "--dry": dry = true; break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. Options: --libtorch FILE (repeatable), --out FILE, --no-inference, --dry");
                    return 2;
            }
        }
        var libtorch = libtorchFiles.Select(LibTorchRun.Read).ToList();

        var config = DefaultConfig.Instance.AddJob(dry ? Job.Dry : SuiteJob);
        Type[] types = inference
            ? [typeof(PeakFmaBenchmark), typeof(SgdStepBenchmark), typeof(InferenceBenchmark)]
            : [typeof(PeakFmaBenchmark), typeof(SgdStepBenchmark)];
        Summary[] summaries = BenchmarkRunner.Run(types, config);

        string tables = ResultTables.Write(Measurement.From(summaries), libtorch, MachineInfo.Current());
        Console.WriteLine();
        Console.WriteLine(tables);
        if (outFile != null) File.WriteAllText(outFile, tables);
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
