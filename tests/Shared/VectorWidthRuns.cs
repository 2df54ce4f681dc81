using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using GradGen.Kernels;
using Xunit.Abstractions;

// Linked into GradGen.Runtime.Tests and GradGen.Tests: each runs a filtered part of itself again in child processes,
// one per vector-width setting, so that one `dotnet test GradGen.sln` exercises every kernel path on this machine.
namespace GradGen.TestSupport;

/// <summary>Checks that the kernels dispatch to the widest accelerated width in this process, and reports that width to
/// the parent when run as a child of <see cref="VectorWidthRuns"/>.</summary>
public class VectorWidthProbe
{
    internal const string ReportVariable = "GRADGEN_WIDTH_REPORT";

    [Fact]
    public void KernelsRunTheWidestAcceleratedWidth()
    {
        int expected = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
        Assert.Equal(expected, Simd.Width<float>());
        Assert.Equal(expected, Simd.Width<double>());
        string? report = Environment.GetEnvironmentVariable(ReportVariable);
        if (report != null) File.WriteAllText(report, expected.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}

/// <summary>Runs this test assembly's tests matching a filter in a child <c>dotnet test</c> under one of
/// <c>DOTNET_PreferredVectorBitWidth=256</c>, <c>=128</c> and <c>DOTNET_EnableHWIntrinsic=0</c>, and asserts that the
/// child passed and ran at the width the setting selects.</summary>
internal static class VectorWidthRuns
{
    public static TheoryData<string> Settings => ["PreferredVectorBitWidth=256", "PreferredVectorBitWidth=128", "EnableHWIntrinsic=0"];

    private const string ChildVariable = "GRADGEN_VECTOR_WIDTH_CHILD";

    public static void Run(string setting, string filter, ITestOutputHelper output)
    {
        Skip.If(Environment.GetEnvironmentVariable(ChildVariable) != null, "already a child run");
        int hardware = Avx512F.IsSupported ? 512 : Avx2.IsSupported ? 256 : Sse2.IsSupported || AdvSimd.IsSupported ? 128 : 0;
        Skip.If(hardware == 0, "this process runs without hardware intrinsics, so the widths of the settings cannot be predicted");
        string[] parts = setting.Split('=');
        int expected = parts[0] == "EnableHWIntrinsic" ? 0 : Math.Min(hardware, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));

        string assembly = typeof(VectorWidthRuns).Assembly.Location;
        string report = Path.Combine(Path.GetTempPath(), $"gradgen-width-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(DotnetHost());
        foreach (string arg in new[] { "test", assembly, "--filter", $"({filter})|FullyQualifiedName~{nameof(VectorWidthProbe)}" })
            start.ArgumentList.Add(arg);
        start.Environment.Remove("DOTNET_PreferredVectorBitWidth");
        start.Environment.Remove("DOTNET_EnableHWIntrinsic");
        start.Environment["DOTNET_" + parts[0]] = parts[1];
        start.Environment[VectorWidthProbe.ReportVariable] = report;
        start.Environment[ChildVariable] = "1";
        try
        {
            var (exitCode, log) = ChildProcess.Run(start, TimeSpan.FromMinutes(10), $"the child with DOTNET_{setting}");
            string summary = log.Split('\n').LastOrDefault(l => l.Contains("Passed!") || l.Contains("Failed!"))?.Trim() ?? "(no summary line)";
            Assert.True(exitCode == 0, $"the child with DOTNET_{setting} failed (exit {exitCode}):\n{log}");
            Assert.True(File.Exists(report), $"the child with DOTNET_{setting} did not run the width probe:\n{log}");
            int ran = int.Parse(File.ReadAllText(report), System.Globalization.CultureInfo.InvariantCulture);
            output.WriteLine($"DOTNET_{setting}: the kernels ran at {(ran == 0 ? "scalar (no SIMD)" : ran + " bits")}; {summary}");
            Assert.Equal(expected, ran);
        }
        finally
        {
            File.Delete(report);
        }
    }

    // The dotnet host running this test process (testhost runs under it), so that the child uses the same runtime.
    private static string DotnetHost()
    {
        string? path = Environment.ProcessPath;
        return path != null && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
    }
}
