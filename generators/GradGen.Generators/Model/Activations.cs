using System;
using System.Collections.Generic;
using System.Linq;

namespace GradGen.Generators.Model;

/// <summary>What the generator knows about one activation: its name in comments (PyTorch's functional name), the
/// kernel struct that computes it (GradGen.Kernels.&lt;Kind&gt;), the constructor argument that struct takes, and
/// torch.nn.init.calculate_gain's gain for it.</summary>
internal sealed record ActivationInfo(
    ActivationKind Kind,
    string Name,
    Func<ActivationPlan, double>? Argument,
    Func<ActivationPlan, double> Gain);

/// <summary>The one table of activations in the generator. Adding a member to GradGen.Activation means adding its row
/// here (NetworkModelEnumTests fails until then), its kernel struct in the runtime's GradGen.Kernels, and its row in
/// the runtime's table.</summary>
internal static class Activations
{
    private static readonly ActivationInfo[] s_table =
    {
        new(ActivationKind.Identity, "identity", null, _ => 1.0),
        new(ActivationKind.Sigmoid, "sigmoid", null, _ => 1.0),
        new(ActivationKind.Tanh, "tanh", null, _ => 5.0 / 3.0),
        new(ActivationKind.ReLU, "relu", null, _ => Math.Sqrt(2.0)),
        new(ActivationKind.LeakyReLU, "leaky_relu", a => a.Slope, a => Math.Sqrt(2.0 / (1 + a.Slope * a.Slope))),
        new(ActivationKind.GELU, "gelu", null, _ => 1.0),           // PyTorch has no gain for these: 1
        new(ActivationKind.GELUTanh, "gelu_tanh", null, _ => 1.0),
        new(ActivationKind.SiLU, "silu", null, _ => 1.0),
        new(ActivationKind.Softplus, "softplus", null, _ => 1.0),
        new(ActivationKind.ELU, "elu", a => a.Alpha, _ => 1.0),
    };

    /// <summary>Every row, in enum order.</summary>
    public static IReadOnlyList<ActivationInfo> All => s_table;

    public static ActivationInfo Of(ActivationKind kind) => s_table[(int)kind];

    /// <summary>torch.nn.init.calculate_gain for the activation.</summary>
    public static double Gain(ActivationKind kind, double slope) => Of(kind).Gain(new ActivationPlan(kind, slope, 1.0));

    /// <summary>Checks that row i describes enum member i (run by the tests).</summary>
    internal static bool IsComplete() =>
        s_table.Length == Enum.GetValues(typeof(ActivationKind)).Length
        && s_table.Select((row, i) => (int)row.Kind == i).All(ok => ok);
}
