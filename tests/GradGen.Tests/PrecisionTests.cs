using System.Reflection;

namespace GradGen.Tests;

/// <summary>The float32 network (the declared class) against its float64 twin (the generated nested Float64 class) on
/// the same weights and batch, for every [Network] declared in this assembly: a new declaration is checked without
/// being listed anywhere.</summary>
public class PrecisionTests
{
    private const double Tolerance = 1e-4;
    private const int Batch = 4;

    /// <summary>Every class in this assembly that carries [Network], by full name.</summary>
    public static TheoryData<string> Declared
    {
        get
        {
            var names = new TheoryData<string>();
            foreach (var type in DeclaredTypes()) names.Add(type.FullName!);
            return names;
        }
    }

    private static IEnumerable<Type> DeclaredTypes() =>
        typeof(PrecisionTests).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<NetworkAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    [Fact]
    public void EveryDeclaredNetworkIsFound()
    {
        // The reference networks, the structure networks and the Fashion-MNIST MLP: if reflection found fewer, the
        // theory below would silently check fewer.
        var found = DeclaredTypes().Select(t => t.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "MlpReluCe", "HessianLinearCe", "UnfusedResidual", "NestedNetwork", "SequentialOfBlocks", "MonitoredMlp", "FashionMlp" }, found);
        Assert.True(found.Count >= 25, $"found only {found.Count} declared networks");
    }

    [Theory]
    [MemberData(nameof(Declared))]
    public void Float32AgreesWithFloat64OnTheSameWeights(string typeName)
    {
        Type type = typeof(PrecisionTests).Assembly.GetType(typeName)!;
        var narrow = (Network<float>)Activator.CreateInstance(type, Batch, 1UL)!;
        var wide = (Network<double>)Activator.CreateInstance(type.GetNestedType("Float64")!, Batch, 1UL)!;
        Assert.Equal(narrow.ParameterCount, wide.ParameterCount);
        // The float64 network sees exactly the float network's weights and float-rounded inputs and targets, so only
        // the arithmetic's precision differs.
        for (int i = 0; i < wide.ParameterCount; i++) wide.Parameters[i] = narrow.Parameters[i];
        var rng = new Rng(7);
        float[] inputF = new float[Batch * narrow.InputSize];
        for (int i = 0; i < inputF.Length; i++) inputF[i] = (float)rng.NextNormal();
        double[] input = inputF.Select(x => (double)x).ToArray();

        double lossWide, lossNarrow;
        if (wide is Network<double, int> wc && narrow is Network<float, int> nc)
        {
            int[] labels = new int[Batch];
            for (int i = 0; i < Batch; i++) labels[i] = rng.NextInt(narrow.OutputSize);
            lossWide = wc.ComputeGradients(input, labels);
            lossNarrow = nc.ComputeGradients(inputF, labels);
        }
        else
        {
            float[] targetF = new float[Batch * narrow.OutputSize];
            for (int i = 0; i < targetF.Length; i++) targetF[i] = (float)rng.NextDouble(); // in [0, 1): valid for BCE too
            lossWide = ((Network<double, double>)wide).ComputeGradients(input, targetF.Select(x => (double)x).ToArray());
            lossNarrow = ((Network<float, float>)narrow).ComputeGradients(inputF, targetF);
        }

        ReferenceCase.AssertClose($"{type.Name} output", ToDouble(narrow.Output), wide.Output, Tolerance);
        ReferenceCase.AssertClose($"{type.Name} loss", new[] { lossNarrow }, new[] { lossWide }, Tolerance);
        foreach (var p in wide.ParameterTable)
        {
            Assert.Contains(wide.Gradient(p.Name).ToArray(), g => g != 0); // a comparison of zeros would prove nothing
            ReferenceCase.AssertClose($"{type.Name} grad {p.Name}", ToDouble(narrow.Gradient(p.Name)), wide.Gradient(p.Name), Tolerance);
        }
    }

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }
}
