using GradGen.Samples.FashionMnist;

namespace GradGen.Samples.Tests;

/// <summary>Every option of the FashionMnist sample, given a bad or missing value, is refused before anything runs
/// with exit code 2 and one line that names the option and what it accepts; good values reach the settings.</summary>
public class FashionMnistCommandLineTests
{
    public static TheoryData<string[], string> BadValues => new()
    {
        { ["--epochs", "abc"], "--epochs: 'abc' is not accepted; give a whole number ≥ 1" },
        { ["--epochs", "0"], "--epochs: '0' is not accepted; give a whole number ≥ 1" },
        { ["--batch-size", "1.5"], "--batch-size: '1.5' is not accepted; give a whole number ≥ 1" },
        { ["--optimizer", "rmsprop"], "--optimizer: 'rmsprop' is not accepted; give sgd, adam or adamw" },
        { ["--lr", "abc"], "--lr: 'abc' is not accepted; give a number > 0, such as 0.002" },
        { ["--lr", "0"], "--lr: '0' is not accepted; give a number > 0, such as 0.002" },
        { ["--lr", "NaN"], "--lr: 'NaN' is not accepted; give a number > 0, such as 0.002" },
        { ["--weight-decay", "-0.1"], "--weight-decay: '-0.1' is not accepted; give a number ≥ 0, such as 0.01" },
        { ["--schedule", "step"], "--schedule: 'step' is not accepted; give cosine or constant" },
        { ["--seed", "-1"], "--seed: '-1' is not accepted; give a whole number from 0 to 18446744073709551615" },
        { ["--threads", "many"], "--threads: 'many' is not accepted; give a whole number ≥ 1" },
        { ["--limit", "-5"], "--limit: '-5' is not accepted; give a whole number ≥ 1" },
        { ["--embedded", "maybe"], "Unrecognized command or argument 'maybe'" },
        { ["--plain", "yes"], "Unrecognized command or argument 'yes'" },
        { ["--doctor", "please"], "Unrecognized command or argument 'please'" },
        { ["--dashboard", "on"], "Unrecognized command or argument 'on'" },
        { ["--port", "70000"], "--port: '70000' is not accepted; give a whole number from 0 to 65535" },
        { ["--port", "-1"], "--port: '-1' is not accepted; give a whole number from 0 to 65535" },
        { ["--bind", "localhost"], "--bind: 'localhost' is not accepted; give an IP address, such as 127.0.0.1 or 0.0.0.0" },
        { ["--bind", "5"], "--bind: '5' is not accepted; give an IP address, such as 127.0.0.1 or 0.0.0.0" },
        { ["--sample-every", "0"], "--sample-every: '0' is not accepted; give a whole number ≥ 1" },
        { ["--refresh", "0.05"], "--refresh: '0.05' is not accepted; give a number of seconds from 0.1 to 3600, such as 5" },
        { ["--refresh", "soon"], "--refresh: 'soon' is not accepted; give a number of seconds from 0.1 to 3600, such as 5" },
        { ["--replay", "run.jsonl"], "--replay needs --dashboard: it serves a log to the browser instead of training" },
        { ["--dashboard", "--follow"], "--follow needs --replay FILE: it follows that log as another process writes it" },
        { ["--follow", "yes"], "Unrecognized command or argument 'yes'" },
    };

    public static TheoryData<string, string> MissingValues => new()
    {
        { "--epochs", "a whole number ≥ 1" },
        { "--batch-size", "a whole number ≥ 1" },
        { "--optimizer", "sgd, adam or adamw" },
        { "--lr", "a number > 0, such as 0.002" },
        { "--weight-decay", "a number ≥ 0, such as 0.01" },
        { "--schedule", "cosine or constant" },
        { "--seed", "a whole number from 0 to 18446744073709551615" },
        { "--threads", "a whole number ≥ 1" },
        { "--data", "a directory" },
        { "--limit", "a whole number ≥ 1" },
        { "--output", "a file name" },
        { "--monitor", "a directory (made if missing)" },
        { "--port", "a whole number from 0 to 65535" },
        { "--bind", "an IP address, such as 127.0.0.1 or 0.0.0.0" },
        { "--log", "a file name" },
        { "--replay", "a file written by --log" },
        { "--sample-every", "a whole number ≥ 1" },
        { "--refresh", "a number of seconds from 0.1 to 3600, such as 5" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ABadValueIsOneLineNamingTheOptionAndExitCode2(string[] args, string expected)
    {
        var (code, error) = Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: " + expected, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [MemberData(nameof(MissingValues))]
    public void AMissingValueIsOneLineNamingTheOptionAndExitCode2(string option, string accepted)
    {
        var (code, error) = Run([option]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {option} needs a value: {accepted}\n", error);
    }

    [Fact]
    public void AnUnknownOptionListsTheOptions()
    {
        var (code, error) = Run(["--learning-rate", "0.1"]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: Unrecognized command or argument '--learning-rate'; the options are --epochs, --batch-size,", error);
        Assert.Contains("--monitor", error);
    }

    [Fact]
    public void EveryOptionIsCoveredByTheseTests()
    {
        var named = BadValues.Select(row => ((string[])row[0])[0]).Concat(MissingValues.Select(row => (string)row[0])).ToHashSet();
        // help lists each option at the start of a line: "  --epochs <epochs>  Passes over …"
        var listed = System.Text.RegularExpressions.Regex.Matches(HelpText(), @"^\s+(--[a-z-]+)", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Where(o => o is not "--help" and not "--version").ToList();
        Assert.Equal(23, listed.Count);
        foreach (string option in listed) Assert.Contains(option, named);
    }

    [Fact]
    public void GoodValuesReachTheSettings()
    {
        string? error = CommandLine.TryParse(
            ["--epochs", "3", "--batch-size", "64", "--optimizer", "sgd", "--lr", "1e-2", "--weight-decay", "0", "--schedule", "constant",
             "--seed", "18446744073709551615", "--threads", "2", "--limit", "100", "--output", "w.safetensors", "--plain", "--embedded",
             "--monitor", "plots", "--dashboard", "--port", "8050", "--bind", "0.0.0.0", "--log", "run.jsonl", "--sample-every", "25", "--doctor", "--refresh", "2.5"], out var s);
        Assert.Null(error);
        Assert.Equal(new Settings(3, 64, "sgd", 0.01, 0, "constant", ulong.MaxValue, 2, null, true, 100, "w.safetensors", true, "plots",
            Dashboard: true, Port: 8050, Bind: System.Net.IPAddress.Any, Log: "run.jsonl", SampleEvery: 25, Doctor: true, Refresh: 2.5), s);
        Assert.Null(CommandLine.TryParse(["--dashboard", "--replay", "run.jsonl", "--bind", "::1"], out var replay));
        Assert.Equal(("run.jsonl", System.Net.IPAddress.IPv6Loopback), (replay!.Replay, replay.Bind));
        Assert.False(replay.Follow);
        Assert.Null(CommandLine.TryParse(["--dashboard", "--replay", "run.jsonl", "--follow"], out var follow));
        Assert.Equal(("run.jsonl", true, false), (follow!.Replay, follow.Follow, follow.UntilInputCloses));
    }

    [Fact]
    public void DefaultsApplyWhenNothingIsGiven()
    {
        Assert.Null(CommandLine.TryParse([], out var s));
        Assert.Equal(new Settings(Defaults.Epochs, Defaults.BatchSize, "adam", Defaults.LearningRate("adam"), 0, "cosine", 1, Defaults.Threads,
            null, false, null, "fashion-mnist.safetensors", false, null), s);
        Assert.Null(CommandLine.TryParse(["--optimizer", "adamw"], out var w));
        Assert.Equal(0.01, w!.WeightDecay);
    }

    private static (int Code, string Error) Run(string[] args)
    {
        var error = new StringWriter { NewLine = "\n" };
        int code = CommandLine.Invoke(args, _ => throw new InvalidOperationException("the program must not run on a bad command line"), error);
        return (code, error.ToString());
    }

    private static string HelpText()
    {
        var output = Console.Out;
        var help = new StringWriter();
        Console.SetOut(help);
        try { CommandLine.Invoke(["--help"], _ => 0, TextWriter.Null); }
        finally { Console.SetOut(output); }
        return help.ToString();
    }
}
