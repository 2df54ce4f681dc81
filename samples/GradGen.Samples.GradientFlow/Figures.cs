using System.Globalization;
using GradGen.Plots;

namespace GradGen.Samples.GradientFlow;

/// <summary>The sample's command line (--seed N, --out DIR) and the gradient-flow figure of each network, written from
/// its monitor after the backward pass that <c>Report</c> runs: every network here is compiled with statistics
/// (GradGenInstrumentation in the project file).</summary>
internal static class Figures
{
    /// <summary>Where the figures go: --out DIR, by default out/.</summary>
    public static string OutputDirectory { get; private set; } = "out";

    /// <summary>--dashboard: train two of the networks side by side on the live dashboard (SideBySide.cs).</summary>
    public static bool Dashboard { get; private set; }

    /// <summary>Reads --seed N, --out DIR and --dashboard; anything else prints one line naming the problem and exits with code 2.</summary>
    public static ulong ParseArguments(string[] args)
    {
        ulong seed = 0;
        for (int i = 0; i < args.Length; i += 2)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--dashboard":
                    Dashboard = true;
                    i--; // a flag: no value
                    break;
                case "--seed" when value is not null && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed):
                    break;
                case "--seed":
                    Fail($"--seed: {(value is null ? "needs a value" : $"'{value}' is not accepted")}; give a whole number from 0 to {ulong.MaxValue}");
                    break;
                case "--out" when value is { Length: > 0 } && !value.StartsWith('-'):
                    OutputDirectory = value;
                    break;
                case "--out":
                    Fail("--out needs a value: a directory for the figures (made if missing)");
                    break;
                default:
                    Fail($"unknown argument '{args[i]}'; the options are --seed N, --out DIR and --dashboard");
                    break;
            }
        }
        return seed;
    }

    /// <summary>Writes DIR/&lt;network class&gt;.png and .svg: the gradient at each layer's output in the last backward pass.</summary>
    public static void WriteGradientFlow<TTarget>(Network<float, TTarget> network, string title) where TTarget : unmanaged
    {
        var monitor = network.Monitor ?? throw new InvalidOperationException($"{network.GetType().Name} has no monitor: build it with GradGenInstrumentation=Statistics");
        var files = MonitorPlots.WriteGradientFlow(monitor, OutputDirectory, title, network.GetType().Name);
        Console.WriteLine($"   figure: {files.Png} (and .svg)");
        Console.WriteLine();
    }

    private static void Fail(string message)
    {
        Console.Error.WriteLine("error: " + message);
        Environment.Exit(2);
    }
}
