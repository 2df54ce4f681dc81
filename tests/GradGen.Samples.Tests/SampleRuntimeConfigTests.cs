using System.Text.Json;

namespace GradGen.Samples.Tests;

/// <summary>The samples' runtime settings, as their build writes them beside their assemblies (and the SDK copies them
/// here with the referenced programs): calls count towards tier 1 from the start. With the runtime's default 100 ms
/// wait after the last first-time compilation, the dashboard's log, pump and doctor, which compile new code for
/// seconds, held the training's backward at tier 0 for 5-10 s: −5.6% img/s over epochs 3-14 with <c>--log</c>, against
/// +1.2%, −0.2% and −0.7% with the setting (docs/dashboard-overhead.md, 10:12-10:41).</summary>
public class SampleRuntimeConfigTests
{
    [Theory]
    [InlineData("GradGen.Samples.FashionMnist")]
    [InlineData("GradGen.Samples.GradientFlow")]
    public void CallsCountTowardsTierOneFromTheStart(string sample)
    {
        string path = Path.Combine(AppContext.BaseDirectory, sample + ".runtimeconfig.json");
        Assert.True(File.Exists(path), $"{path}: the sample's runtime configuration was not copied beside the tests");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.TryGetProperty("System.Runtime.TieredCompilation.CallCountingDelayMs", out var delay),
            $"{path} does not set System.Runtime.TieredCompilation.CallCountingDelayMs");
        Assert.Equal(0, delay.GetInt32());
    }
}
