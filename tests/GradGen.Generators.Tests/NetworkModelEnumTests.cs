using System.Reflection;
using GradGen.Generators.Model;

namespace GradGen.Generators.Tests;

/// <summary>The generator cannot reference the runtime (it targets netstandard2.0), so Model/NetworkModel.cs mirrors
/// the runtime's enums: the parser casts attribute values to the mirrors and the emitter writes the mirrors' names
/// back as <c>global::GradGen.Init.{name}</c>. Both only work while names and values agree.</summary>
public sealed class NetworkModelEnumTests
{
    /// <summary>(name, value) in declaration order.</summary>
    private static List<(string Name, long Value)> Members(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static)
            .OrderBy(f => f.MetadataToken) // declaration order
            .Select(f => (f.Name, Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

    [Theory]
    [InlineData(typeof(ActivationKind), typeof(Activation))]
    [InlineData(typeof(LossKind), typeof(Loss))]
    [InlineData(typeof(InitKind), typeof(Init))]
    [InlineData(typeof(InstrumentationFlags), typeof(Instrumentation))]
    public void Mirrored_enum_has_the_runtime_enums_names_and_values_in_order(Type mirror, Type runtime)
    {
        var expected = Members(runtime);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Members(mirror));
        Assert.Equal(Enum.GetUnderlyingType(runtime), Enum.GetUnderlyingType(mirror));
    }

    [Fact]
    public void The_mirrors_have_the_expected_sizes()
    {
        // a guard against both sides losing a member together
        Assert.Equal(10, Enum.GetValues<ActivationKind>().Length);
        Assert.Equal(4, Enum.GetValues<LossKind>().Length);
        Assert.Equal(10, Enum.GetValues<InitKind>().Length);
    }

    [Fact]
    public void Every_layer_attribute_of_the_runtime_is_a_layer_kind()
    {
        var attributes = typeof(NetworkAttribute).Assembly.GetTypes()
            .Where(t => t.Namespace == "GradGen" && t.IsPublic && !t.IsAbstract && typeof(Attribute).IsAssignableFrom(t) && t != typeof(NetworkAttribute))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);
        var kinds = Enum.GetNames<LayerKind>().Select(n => n + "Attribute").Order(StringComparer.Ordinal);
        Assert.Equal(kinds, attributes);
    }
}
