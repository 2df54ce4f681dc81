using System;
using System.Collections.Generic;
using System.Linq;

namespace GradGen.Generators.Model;

/// <summary>What the generator knows about one activation: its name in comments (PyTorch's functional name), the
/// kernel struct that computes it (GradGen.Kernels.&lt;Kind&gt;), the constructor argument that struct takes,
/// torch.nn.init.calculate_gain's gain for it, and the function f(z) and its derivative f′(z) in double, which the
/// gradient-flow forecast integrates over a Gaussian (Model/Forecast.cs). <see cref="DerivativeBound"/> is sup |f′|
/// where it is below 1 (σ′ ≤ ¼, which the GG1001 message quotes), else null.</summary>
internal sealed record ActivationInfo(
    ActivationKind Kind,
    string Name,
    Func<ActivationPlan, double>? Argument,
    Func<ActivationPlan, double> Gain,
    Func<ActivationPlan, double, double> F,
    Func<ActivationPlan, double, double> Derivative,
    double? DerivativeBound = null,
    bool IsNonNegative = false,
    bool IsSquashing = false);

/// <summary>The one table of activations in the generator. Adding a member to GradGen.Activation means adding its row
/// here (NetworkModelEnumTests fails until then), its kernel struct in the runtime's GradGen.Kernels, and its row in
/// the runtime's table.</summary>
internal static class Activations
{
    private const double Sqrt2OverPi = 0.79788456080286535588;
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    private static readonly ActivationInfo[] s_table =
    {
        new(ActivationKind.Identity, "identity", null, _ => 1.0, (_, z) => z, (_, _) => 1.0),
        new(ActivationKind.Sigmoid, "sigmoid", null, _ => 1.0, (_, z) => Sigmoid(z), (_, z) => Sigmoid(z) * (1 - Sigmoid(z)),
            DerivativeBound: 0.25, IsNonNegative: true, IsSquashing: true),
        new(ActivationKind.Tanh, "tanh", null, _ => 5.0 / 3.0, (_, z) => Math.Tanh(z), (_, z) => 1 - Math.Tanh(z) * Math.Tanh(z),
            IsSquashing: true),
        new(ActivationKind.ReLU, "relu", null, _ => Math.Sqrt(2.0), (_, z) => z > 0 ? z : 0, (_, z) => z > 0 ? 1 : 0,
            IsNonNegative: true),
        new(ActivationKind.LeakyReLU, "leaky_relu", a => a.Slope, a => Math.Sqrt(2.0 / (1 + a.Slope * a.Slope)),
            (a, z) => z > 0 ? z : a.Slope * z, (a, z) => z > 0 ? 1 : a.Slope),
        // PyTorch has no gain for the rest: 1
        new(ActivationKind.GELU, "gelu", null, _ => 1.0, (_, z) => z * 0.5 * (1 + Erf(z * InvSqrt2)),
            (_, z) => 0.5 * (1 + Erf(z * InvSqrt2)) + z * InvSqrt2Pi * Math.Exp(-0.5 * z * z)),
        new(ActivationKind.GELUTanh, "gelu_tanh", null, _ => 1.0, (_, z) => 0.5 * z * (1 + Math.Tanh(Sqrt2OverPi * (z + 0.044715 * z * z * z))),
            (_, z) =>
            {
                double t = Math.Tanh(Sqrt2OverPi * (z + 0.044715 * z * z * z));
                return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * Sqrt2OverPi * (1 + 3 * 0.044715 * z * z);
            }),
        new(ActivationKind.SiLU, "silu", null, _ => 1.0, (_, z) => z * Sigmoid(z), (_, z) => Sigmoid(z) * (1 + z * (1 - Sigmoid(z)))),
        new(ActivationKind.Softplus, "softplus", null, _ => 1.0, (_, z) => z > 20 ? z : Math.Log(1 + Math.Exp(z)), (_, z) => Sigmoid(z),
            IsNonNegative: true),
        new(ActivationKind.ELU, "elu", a => a.Alpha, _ => 1.0, (a, z) => z > 0 ? z : a.Alpha * (Math.Exp(z) - 1),
            (a, z) => z > 0 ? 1 : a.Alpha * Math.Exp(z)),
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

    private static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>erf, Abramowitz and Stegun 7.1.26 (|error| &lt; 1.5e-7: plenty for a forecast; netstandard2.0 has no Math.Erf).</summary>
    private static double Erf(double x)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(x));
        double y = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.Exp(-x * x);
        return x >= 0 ? y : -y;
    }
}
