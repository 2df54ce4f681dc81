using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

// Linked into GradGen.Runtime.Tests and GradGen.Tests: each runs a part of itself again on ARM64, under qemu-aarch64
// user-mode emulation, so that the 128-bit AdvSimd paths (ARM64's register blocks and packing) are tested on an x64
// machine. .ci/run installs the emulator and ARM64's C library when they are missing.
namespace GradGen.TestSupport;

/// <summary>Runs this test assembly's tests whose full names contain one of some fragments in
/// tests/GradGen.Arm64Runner (a self-contained linux-arm64 program) under qemu-aarch64, and asserts that they passed at
/// the 128-bit width.</summary>
internal static class Arm64Runs
{
    // Debian's qemu-user-static; qemu-user's binary is named without the suffix.
    private static readonly string[] Emulators = ["/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64"];
    private const string Loader = "/lib/ld-linux-aarch64.so.1";

    public static void Run(string fragments, ITestOutputHelper output)
    {
        Skip.If(RuntimeInformation.ProcessArchitecture == Architecture.Arm64, "this process runs on ARM64: the tests already ran natively");
        Skip.IfNot(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, "ARM64 emulation is set up for x64 Linux only");
        string? emulator = Emulators.FirstOrDefault(File.Exists);
        Skip.If(emulator == null || !File.Exists(Loader),
            $"no ARM64 emulation here: install qemu-user-static and libc6:arm64 ({Loader}); .ci/run does");

        string runner = BuildRunner(output);
        string report = Path.Combine(Path.GetTempPath(), $"gradgen-arm64-width-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(emulator!);
        foreach (string arg in new[] { runner, typeof(Arm64Runs).Assembly.Location, $"{fragments}|{nameof(VectorWidthProbe)}" })
            start.ArgumentList.Add(arg);
        start.Environment.Remove("DOTNET_PreferredVectorBitWidth");
        start.Environment.Remove("DOTNET_EnableHWIntrinsic");
        // The JIT's W^X double mapping writes code through one mapping and runs it through another; qemu does not see
        // the write and runs stale translations (corrupt strings, wrong types). With W^X off the code is written in place.
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        start.Environment[VectorWidthProbe.ReportVariable] = report;
        try
        {
            var (exitCode, log) = ChildProcess.Run(start, TimeSpan.FromMinutes(20), "the ARM64 run");
            string[] lines = log.Split('\n');
            Assert.True(exitCode == 0, $"the ARM64 run failed (exit {exitCode}):\n{log}");
            Assert.True(File.Exists(report), $"the ARM64 run did not run the width probe:\n{log}");
            output.WriteLine(lines.FirstOrDefault()?.Trim() ?? "");
            output.WriteLine(lines.LastOrDefault(l => l.Contains("Passed!"))?.Trim() ?? "(no summary line)");
            Assert.Equal("128", File.ReadAllText(report));
        }
        finally
        {
            File.Delete(report);
        }
    }

    // dotnet build of the runner (incremental), one test assembly at a time: both test assemblies run at once under
    // `dotnet test GradGen.sln`, and two builds of one project would collide in its obj directory.
    private static string BuildRunner(ITestOutputHelper output)
    {
        string project = Path.Combine(RepositoryRoot(), "tests", "GradGen.Arm64Runner");
        using (FileStream _ = Lock(Path.Combine(Path.GetTempPath(), "gradgen-arm64-runner.lock")))
        {
            var start = new ProcessStartInfo("dotnet");
            foreach (string arg in new[] { "build", project, "-c", "Release", "-nologo", "-v:q", "-nodeReuse:false" })
                start.ArgumentList.Add(arg);
            var (exitCode, log) = ChildProcess.Run(start, TimeSpan.FromMinutes(10), "building tests/GradGen.Arm64Runner");
            Assert.True(exitCode == 0, $"building tests/GradGen.Arm64Runner failed:\n{log}");
        }
        string runner = Path.Combine(project, "bin", "Release", "net10.0", "linux-arm64", "GradGen.Arm64Runner");
        Assert.True(File.Exists(runner), $"the build did not produce {runner}");
        output.WriteLine($"runner: {runner}");
        return runner;
    }

    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(15);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(500); }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GradGen.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no GradGen.sln above {AppContext.BaseDirectory}: the ARM64 run builds tests/GradGen.Arm64Runner from the repository");
    }
}
