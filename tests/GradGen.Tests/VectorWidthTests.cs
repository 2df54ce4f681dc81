using GradGen.TestSupport;
using Xunit.Abstractions;

namespace GradGen.Tests;

/// <summary>The PyTorch agreement (float64 to 1e-10) again, in child processes under each vector-width setting, so
/// that the generated networks are checked on the 256-bit, 128-bit and scalar kernel paths too.</summary>
public class VectorWidthTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [MemberData(nameof(VectorWidthRuns.Settings), MemberType = typeof(VectorWidthRuns))]
    public void PyTorchAgreementHoldsUnder(string setting) => VectorWidthRuns.Run(setting, "FullyQualifiedName~PyTorchAgreementTests", output);
}

/// <summary>The PyTorch agreement on ARM64 (AdvSimd, 128 bits), under emulation.</summary>
public class Arm64Tests(ITestOutputHelper output)
{
    [SkippableFact]
    public void PyTorchAgreementHoldsOnArm64() => Arm64Runs.Run("PyTorchAgreementTests", output);
}
