using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GradGen.Benchmarks.Suite;

/// <summary>The CPU and the vector widths this process runs with (DOTNET_PreferredVectorBitWidth and
/// DOTNET_EnableHWIntrinsic change the latter; BenchmarkDotNet's child processes inherit the same environment).</summary>
public sealed record MachineInfo(string CpuModel, string CpuFamily, string Architecture, int[] AcceleratedWidths,
    string PreferredVectorBitWidth, string EnableHWIntrinsic)
{
    /// <summary>The widest accelerated vector in bits (0: none): the width the width-generic kernels pick.</summary>
    public int Width => AcceleratedWidths.Length > 0 ? AcceleratedWidths.Max() : 0;

    public static MachineInfo Current()
    {
        string model = "unknown (no /proc/cpuinfo)", family = "?";
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal)) model = line[(line.IndexOf(':') + 1)..].Trim();
                else if (line.StartsWith("cpu family", StringComparison.Ordinal)) family = line[(line.IndexOf(':') + 1)..].Trim();
                else if (line.Length == 0) break; // the first processor is enough
            }
        }
        catch (IOException) { } // not Linux: keep the runtime's identifier
        var widths = new List<int>();
        if (Vector512.IsHardwareAccelerated) widths.Add(512);
        if (Vector256.IsHardwareAccelerated) widths.Add(256);
        if (Vector128.IsHardwareAccelerated) widths.Add(128);
        return new MachineInfo(model, family, RuntimeInformation.ProcessArchitecture.ToString(), [.. widths],
            Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth") ?? "unset",
            Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") ?? "unset");
    }
}

