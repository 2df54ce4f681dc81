using System.Diagnostics;
using GradGen.Diagnostics;

namespace GradGen.Samples.Tests;

/// <summary>The GradientFlow sample, run as a user runs it: every article network is diagnosed, its report written as
/// JSON, and the verdicts are the ones docs/doctor.md gives, before and after the quick fixes.</summary>
public sealed class GradientFlowSampleTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "gradgen-gradientflow-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void EveryArticleNetworkIsDiagnosedAndTheQuickFixesRepairWhatTheDocsSay()
    {
        string stdout = Run("--out", _out);

        Diagnosis Report(string network) => Diagnosis.FromJson(File.ReadAllText(Path.Combine(_out, network + ".doctor.json")));
        foreach (string healthy in new[] { "MonitoredMlp", "Residual50", "DenseNet20" })
            Assert.True(Report(healthy).IsHealthy, healthy);
        var demo = Report("DoctorDemo");
        Assert.Equal(FindingKind.Vanishing, Assert.Single(demo.Findings, f => f.Severity != Severity.Info).Kind);
        Assert.All(Report("Exploding20").Findings.Where(f => f.Severity != Severity.Info), f => Assert.Equal(FindingKind.Exploding, f.Kind));
        Assert.Contains(Report("Sigmoid50").Findings, f => f.Kind == FindingKind.NoGradient);

        // The second diagnosis, after ApplyQuickFixes: its header line follows "diagnosed again:".
        string After(string network)
        {
            var lines = stdout.Split('\n');
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                if (lines[i].Contains("diagnosed again:") && lines[i + 1].TrimStart().StartsWith(network + ":", StringComparison.Ordinal)) return lines[i + 1];
            }
            Assert.Fail($"no second diagnosis of {network} in:\n{stdout}");
            return "";
        }
        // Repaired: at the fitted gains, or (Depth30SiLU, whose logits the fitted gains left large, and the shallow
        // sigmoid stacks) at the common scale the batch-checked quick fixes chose.
        foreach (string repaired in new[] { "DoctorDemo", "Exploding20", "Depth30Tanh", "Depth30LeakyReLU", "Depth30GELU", "Depth30SiLU", "Depth30ELU",
                     "Sigmoid5", "Sigmoid10" })
            Assert.EndsWith("; healthy", After(repaired).TrimEnd());
        foreach (string vanishing in new[] { "Sigmoid20", "Sigmoid50", "Depth30Sigmoid" })
            Assert.Contains("problem(s)", After(vanishing));
        // Depth30Softplus, which the fitted gains alone turned from vanishing into exploding: no longer exploding, but
        // with its logits still large (the one finding left).
        Assert.EndsWith("; 1 problem(s)", After("Depth30Softplus").TrimEnd());
        Assert.Contains("WARNING LargeLoss", stdout[stdout.IndexOf(After("Depth30Softplus"), StringComparison.Ordinal)..].Split('\n')[1]);
        // No scale that the check chose overflows the network (a NaN or ±∞ ranks below any number of problems).
        Assert.DoesNotContain(stdout.Split('\n').Where(l => l.Contains(", loss ")), l => l.Contains("loss NaN") || l.Contains("loss Infinity") || l.Contains("loss -Infinity"));
        Assert.DoesNotContain("diagnosed again:\n   MonitoredMlp", stdout); // healthy: nothing to fix
    }

    [Fact]
    public void ABadOptionIsOneLineAndExitCode2()
    {
        var (code, _, error) = RunProcess("--seed", "x");
        Assert.Equal(2, code);
        Assert.Equal("error: --seed: 'x' is not accepted; give a whole number from 0 to 18446744073709551615", error.Trim());
    }

    private static string Run(params string[] args)
    {
        var (code, output, error) = RunProcess(args);
        Assert.True(code == 0, $"exit code {code}: {error}");
        return output.Replace("\r\n", "\n");
    }

    private static (int Code, string Output, string Error) RunProcess(params string[] args)
    {
        var start = ChildProcess.DotnetExec("samples/GradGen.Samples.GradientFlow", args);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
