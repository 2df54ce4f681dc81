using System.Reflection;
using GradGen.Monitoring;
using GradGen.Optim;

namespace GradGen.Runtime.Tests.Monitoring;

/// <summary>The code that only a sampled step runs (one step in SampleEvery) must be compiled fully optimised at its
/// first call. Under tiered compilation it would otherwise run as tier-0 code (the Simd helpers called, not inlined) for
/// most of a short run, since it is called too rarely to be promoted in time: that made <c>--log</c> cost the
/// FashionMnist sample's training thread about 14% where it costs about 3% with tiering off (docs/dashboard-overhead.md).</summary>
public class SampledStepCompilationTests
{
    public static TheoryData<Type, string> SampledPath => new()
    {
        { typeof(StatisticsKernels), nameof(StatisticsKernels.Activations) },
        { typeof(StatisticsKernels), nameof(StatisticsKernels.Gradients) },
        { typeof(StatisticsKernels), nameof(StatisticsKernels.SumOfSquares) },
        { typeof(GradientHistogram), nameof(GradientHistogram.Count) },
        { typeof(FusedUpdate), "Run" },
        { typeof(FusedUpdate), "Tensor" },
        { typeof(FusedUpdate), "Part" },
        { typeof(FusedUpdate), "Chunks" },
        // The optimizers' loops that a sampled step's update runs with sums (WithSums instantiations).
        { typeof(Sgd<>), "UpdateScalar" },
        { typeof(Sgd<>), "UpdateVectorized" },
        { typeof(Sgd<>).GetNestedType("RangeUpdate", BindingFlags.NonPublic)!, "Run" },
        { typeof(AdamKernel<>), "UpdateScalar" },
        { typeof(AdamKernel<>), "UpdateVectorized" },
        { typeof(AdamKernel<>).GetNestedType("RangeUpdate", BindingFlags.NonPublic)!, "Run" },
    };

    [Theory]
    [MemberData(nameof(SampledPath))]
    public void Sampled_step_code_is_compiled_optimised_at_its_first_call(Type type, string name)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        // UpdateVectorized has a dispatching overload (one type parameter) and the loop (three): the loop must be optimised.
        var methods = type.GetMethods(all).Where(m => m.Name == name).ToList();
        Assert.NotEmpty(methods);
        var loop = methods.MaxBy(m => m.IsGenericMethodDefinition ? m.GetGenericArguments().Length : 0)!;
        Assert.True(loop.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization),
            $"{type.Name}.{loop} runs only on sampled steps (or is their loop) and must be [MethodImpl(MethodImplOptions.AggressiveOptimization)]");
    }
}
