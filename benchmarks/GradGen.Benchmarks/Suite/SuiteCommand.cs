using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace GradGen.Benchmarks.Suite;

/// <summary><c>--suite</c>: the peak FMA rate, the SGD steps and the inference benchmarks in one BenchmarkDotNet run,
/// then the tables of docs/benchmarks.md (each step as a fraction of the peak, against libtorch when its output is
/// given). Options:
/// <list type="bullet">
/// <item><c>--libtorch FILE</c> (repeatable): the output of /work/shared/libtorch-bench/run.sh, run in the same session;</item>
/// <item><c>--out FILE</c>: also write the tables there;</item>
/// <item><c>--save FILE</c>: save the measurements (JSON), for <c>--report</c>;</item>
/// <item><c>--no-inference</c>: skip the inference benchmarks;</item>
/// <item><c>--dry</c>: BenchmarkDotNet's Dry job (one invocation each): a smoke test, no meaningful times.</item>
/// </list>
/// <c>--report SAVED.json [--libtorch FILE]… [--out FILE]</c> writes the tables of a saved run, so that libtorch can
/// also be timed after the suite (benchmarks/run.sh times it before and after).</summary>
public static class SuiteCommand
{
    /// <summary>The suite's job: short, so that one width takes a few minutes on a busy 2-core machine. It runs in
    /// this process (BenchmarkDotNet's in-process toolchain): the suite's process already has the vector width under
    /// test, and the default toolchain's rebuild of the whole project, generator included, outran BenchmarkDotNet's
    /// 2-minute build timeout on a loaded machine.</summary>
    public static Job SuiteJob { get; } = Job.Default
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(7)
        .WithIterationTime(TimeInterval.FromMilliseconds(200))
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("Suite");

    public static int Run(string[] args)
    {
        var libtorchFiles = new List<string>();
        string? outFile = null, saveFile = null;
        bool inference = true, dry = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--libtorch" when i + 1 < args.Length: libtorchFiles.Add(args[++i]); break;
                case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
                case "--save" when i + 1 < args.Length: saveFile = args[++i]; break;
                case "--no-inference": inference = false; break;
                case "--dry": dry = true; break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. Options: --libtorch FILE (repeatable), --out FILE, --save FILE, --no-inference, --dry");
                    return 2;
            }
        }
        var libtorch = libtorchFiles.Select(LibTorchRun.Read).ToList();

        Summary[] summaries = RunBenchmarks(DefaultConfig.Instance.AddJob(dry ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance) : SuiteJob), inference);

        // BenchmarkDotNet times each case once, by the wall clock, Generated always first; the check that follows times
        // Generated and Expert again in this process, alternating, by thread CPU time (docs/benchmarks.md, "the suite
        // against --alternate").
        var alternating = dry ? null : AlternatingChecks(inference);
        var run = new SavedRun(MachineInfo.Current(), DateTime.UtcNow, Measurement.From(summaries), alternating);
        if (saveFile != null) File.WriteAllText(saveFile, JsonSerializer.Serialize(run, JsonOptions));
        WriteTables(run, libtorch, outFile);
        return AllSucceeded(summaries) ? 0 : 1;
    }

    /// <summary><c>--report SAVED.json [--libtorch FILE]… [--libtorch-at-width FILE]… [--out FILE]</c>.</summary>
    public static int Report(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine("Usage: --report SAVED.json [--libtorch FILE]… [--libtorch-at-width FILE]… [--out FILE]");
            return 2;
        }
        var run = JsonSerializer.Deserialize<SavedRun>(File.ReadAllText(args[0]), JsonOptions)
            ?? throw new InvalidDataException($"{args[0]}: not a saved suite run");
        var libtorch = new List<LibTorchRun>();
        var libtorchAtWidth = new List<LibTorchRun>();
        string? outFile = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--libtorch" when i + 1 < args.Length: libtorch.Add(LibTorchRun.Read(args[++i])); break;
                case "--libtorch-at-width" when i + 1 < args.Length: libtorchAtWidth.Add(LibTorchRun.Read(args[++i])); break;
                case "--out" when i + 1 < args.Length: outFile = args[++i]; break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]}'. Options: --libtorch FILE (repeatable), --libtorch-at-width FILE (repeatable), --out FILE");
                    return 2;
            }
        }
        WriteTables(run, libtorch, outFile, libtorchAtWidth);
        return 0;
    }

    private static void WriteTables(SavedRun run, IReadOnlyList<LibTorchRun> libtorch, string? outFile, IReadOnlyList<LibTorchRun>? libtorchAtWidth = null)
    {
        string tables = ResultTables.Write(run, libtorch, libtorchAtWidth);
        Console.WriteLine();
        Console.WriteLine(tables);
        if (outFile != null) File.WriteAllText(outFile, tables);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The suite's benchmarks, in one BenchmarkDotNet run: peak FMA, SGD steps and (optionally) inference.</summary>
    public static Summary[] RunBenchmarks(IConfig config, bool inference)
    {
        Type[] types = inference
            ? [typeof(PeakFmaBenchmark), typeof(SgdStepBenchmark), typeof(InferenceBenchmark)]
            : [typeof(PeakFmaBenchmark), typeof(SgdStepBenchmark)];
        return BenchmarkRunner.Run(types, config);
    }

    /// <summary>Rounds of the suite's alternating check per case.</summary>
    private const int AlternatingRounds = 5;

    private static List<AlternatingCheck> AlternatingChecks(bool inference)
    {
        var checks = new List<AlternatingCheck>();
        foreach (var network in Enum.GetValues<BenchmarkNetwork>())
        {
            checks.Add(AlternateCommand.Measure(network, "step", AlternatingRounds));
            if (!inference) continue;
            checks.Add(AlternateCommand.Measure(network, "forward", AlternatingRounds, batch: 1));
            checks.Add(AlternateCommand.Measure(network, "forward", AlternatingRounds));
        }
        return checks;
    }

    /// <summary>No validation error, and every case ran.</summary>
    public static bool AllSucceeded(IEnumerable<Summary> summaries) =>
        summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.Length > 0 && s.Reports.All(r => r.Success));
}
