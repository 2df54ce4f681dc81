using System.Globalization;
using System.Text.RegularExpressions;
using GradGen.Benchmarks.Suite;

namespace GradGen.Benchmarks.Tests;

/// <summary><c>--cache-lines</c> (CacheLinesCommand): two threads take turns over a buffer and time each pass per line.</summary>
public class CacheLinesTests
{
    [SkippableFact]
    public void EachPassIsTimedPerLineAndTheRoundsAreCounted()
    {
        Skip.If(Environment.ProcessorCount < 2, "the probe needs two cores");
        var result = CacheLinesCommand.Measure(lines: 512, rounds: 20);
        Assert.Equal(512, result.Lines);
        Assert.Equal(20, result.Rounds);
        // Per line: more than nothing (every pass touches every line) and less than 10 µs (a line is not a page fault).
        foreach (double ns in new[] { result.WriteAfterOtherRead, result.WriteOwn, result.ReadAfterOtherWrite, result.ReadOwn,
                     result.StreamAfterOtherRead, result.ReadAfterOtherStream })
            Assert.InRange(ns, 1e-3, 1e4);
        Assert.InRange(result.SameProcessorRounds, 0, 20);
        // The report line carries the six medians as they were measured.
        var line = Regex.Match(result.ToString(), @"stored after the other core read it ([\d.]+) \(its own ([\d.]+)\); loaded after the other core wrote it ([\d.]+) \(its own ([\d.]+)\); stored past the caches after the other core read it ([\d.]+), loaded after that ([\d.]+)");
        Assert.True(line.Success, result.ToString());
        Assert.Equal(Math.Round(result.WriteAfterOtherRead, 1), double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(result.ReadOwn, 1), double.Parse(line.Groups[4].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(result.StreamAfterOtherRead, 1), double.Parse(line.Groups[5].Value, CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(result.ReadAfterOtherStream, 1), double.Parse(line.Groups[6].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void ItRejectsFewerThanTwoRounds() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheLinesCommand.Measure(lines: 64, rounds: 1));
}
