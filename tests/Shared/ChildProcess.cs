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

    /// <summary><c>dotnet exec</c> of a program of this repository (<paramref name="project"/>, e.g.
    /// "samples/GradGen.Samples.GradientFlow", whose assembly has the folder's name) from its build output of this test
    /// assembly's configuration and framework (…/bin/Release/net10.0), with stdout and stderr redirected.</summary>
    public static ProcessStartInfo DotnetExec(string project, params string[] args)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testBin.Parent!.Name, framework = testBin.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "GradGen.sln"))) root = root.Parent;
        Assert.NotNull(root);
        string dll = Path.Combine(root.FullName, project, "bin", configuration, framework, Path.GetFileName(project) + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build {project}");
        string? host = Environment.ProcessPath;
        var start = new ProcessStartInfo(host is not null && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return start;
    }
}
