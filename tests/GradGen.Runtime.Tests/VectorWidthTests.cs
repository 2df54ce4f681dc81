using GradGen.TestSupport;
using Xunit.Abstractions;

namespace GradGen.Runtime.Tests;

/// <summary>The kernel, optimizer and statistics tests again, in child processes under each vector-width setting:
/// in-process they run every width this process accelerates and skip the rest; the children cover the dispatch of the
/// public kernels (and the scalar references as the path taken without SIMD), and the statistics kernels at the
/// <c>Vector&lt;T&gt;</c> width each setting gives.</summary>
public class VectorWidthTests(ITestOutputHelper output)
{
    [SkippableTheory]
    [MemberData(nameof(VectorWidthRuns.Settings), MemberType = typeof(VectorWidthRuns))]
    public void KernelTestsPassUnder(string setting)
        => VectorWidthRuns.Run(setting, "FullyQualifiedName~GradGen.Runtime.Tests.Kernels|FullyQualifiedName~GradGen.Runtime.Tests.Optim|FullyQualifiedName~GradGen.Runtime.Tests.Monitoring|FullyQualifiedName~GradGen.Runtime.Tests.Curvature", output);
}

/// <summary>The same kernel, optimizer, statistics and curvature tests on ARM64 (AdvSimd, 128 bits), under emulation.</summary>
public class Arm64Tests(ITestOutputHelper output)
{
    [SkippableFact]
    public void KernelTestsPassOnArm64()
        => Arm64Runs.Run("GradGen.Runtime.Tests.Kernels|GradGen.Runtime.Tests.Optim|GradGen.Runtime.Tests.Monitoring|GradGen.Runtime.Tests.Curvature", output);
}
