using System.Diagnostics;

namespace GradGen.TestSupport;

/// <summary>Runs a program to its end and returns its exit code and everything it wrote (stdout, then stderr).</summary>
internal static class ChildProcess
{
    public static (int ExitCode, string Log) Run(ProcessStartInfo start, TimeSpan timeout, string what)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{what} did not finish in {timeout.TotalMinutes} minutes");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
