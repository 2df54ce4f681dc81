using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GradGen.Benchmarks.Tests;

/// <summary>The data-parallel step's trace (src/GradGen/Kernels/StepTrace.cs), read at process start from
/// GRADGEN_STEP_TRACE, so tested in child processes of the benchmark program: <c>--thread-scaling</c> with the trace on
/// prints a table per part count whose phases fit inside the step, and prints nothing with it off.</summary>
public class StepTraceTests
{
    private static readonly string[] Phases = ["first layer's forward", "slices after it", "first layer's backward + reduction", "update"];

    [SkippableFact]
    public void OnItSummarisesEachPhaseOfOneAndTwoPartsAndTheJobsFitInsideTheStep()
    {
        Skip.If(Environment.ProcessorCount < 2, "the split step needs two cores");
        string output = Run(trace: true);

        foreach (int parts in new[] { 1, 2 })
        {
            var table = Regex.Match(output, $@"step trace, {parts} part\(s\), (\d+) steps; µs, median / 90th percentile\n((?:  .*\n)+)");
            Assert.True(table.Success, $"no trace of {parts} part(s) in:\n{output}");
            Assert.True(int.Parse(table.Groups[1].Value, CultureInfo.InvariantCulture) > 0);
            string body = table.Groups[2].Value;
            var step = Regex.Match(body, @"step +([\d.]+) / +[\d.]+; the sum of its jobs' spans +([\d.]+) /");
            Assert.True(step.Success, body);
            double stepMedian = Number(step.Groups[1]), sumMedian = Number(step.Groups[2]);
            // The jobs run one after the other inside the step, so in every step their spans add to no more than it.
            Assert.InRange(sumMedian, 0.5 * stepMedian, stepMedian);
            foreach (string phase in Phases)
            {
                var row = Regex.Match(body, Regex.Escape(phase) + @" +span +([\d.]+) / +[\d.]+ +part 0 +([\d.]+) /");
                Assert.True(row.Success, $"no row for \"{phase}\" in:\n{body}");
                double span = Number(row.Groups[1]), part0 = Number(row.Groups[2]);
                Assert.InRange(span, 1e-3, stepMedian);
                Assert.InRange(part0, 0, span * 1.05 + 1); // a part runs inside its job's span (medians of each)
                if (parts == 2) Assert.Matches(Regex.Escape(phase) + @" +span .* part 1 +[\d.]+ / .* caller ran part 1 in \d+ steps", body);
            }
            Assert.Contains("part 0: the rest's reduction", body);
        }
    }

    [Fact]
    public void OffItPrintsNothing()
    {
        string output = Run(trace: false);
        Assert.Contains("speed-up", output); // the command itself ran
        Assert.DoesNotContain("step trace", output);
        Assert.Contains("a cache line between the cores (1,306 lines, 200 rounds", output); // the probe after the rounds
    }

    private static double Number(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    // One round of --thread-scaling at batch 128 (about 150 steps each of one and two threads), stdout and stderr.
    private static string Run(bool trace)
    {
        var start = ChildProcess.DotnetExec("benchmarks/GradGen.Benchmarks", "--thread-scaling", "128", "1");
        start.Environment.Remove("GRADGEN_STEP_TRACE");
        start.Environment.Remove("GRADGEN_STEP_TRACE_ONE_THREAD");
        if (trace)
        {
            start.Environment["GRADGEN_STEP_TRACE"] = "1";
            start.Environment["GRADGEN_STEP_TRACE_ONE_THREAD"] = "1";
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill();
            Assert.Fail("--thread-scaling did not finish in 3 minutes");
        }
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{output}\n{error.Result}");
        return (output + error.Result).Replace("\r\n", "\n");
    }
}
