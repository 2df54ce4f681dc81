using GradGen.Generators.Model;

namespace GradGen.Generators;

internal static partial class Emitter
{
    /// <summary>The class that runs the network's Layers&lt;T&gt; over dual numbers, for exact Hessian-vector products
    /// (GradGen.Curvature.HessianOperator): its own arena with the same layout, and the three passes. With statistics
    /// compiled in, it gets a monitor of its own that never samples, so the dual passes record nothing.</summary>
    private static void WriteDualNetwork(CodeWriter w, LossKind loss, string inputBuffer, bool statistics)
    {
        const string Dual = "global::GradGen.Curvature.Dual";
        string target = TargetType(loss, Dual);
        string targetsPerSample = loss == LossKind.SoftmaxCrossEntropy ? "1" : "Outputs";
        w.Line("// ---- Curvature: the same passes over dual numbers θ + ε·v, whose gradient tangents are the Hessian-vector");
        w.Line("// product H·v (see GradGen.Curvature.HessianOperator and docs/hessian.md).");
        w.Line();
        using (w.Block($"private sealed class OverDualNumbers : global::GradGen.Curvature.DualNetwork<{target}>"))
        {
            w.Line($"private readonly Layers<{Dual}> _layers;");
            w.Line();
            using (w.Block($"public OverDualNumbers(int maxBatch) : base(maxBatch, ArenaLength(maxBatch), ParameterTotal, ActivationsStart + maxBatch * {inputBuffer}, Inputs, {targetsPerSample})"))
            {
                w.Line(statistics
                    ? $"_layers = new Layers<{Dual}>(Arena, maxBatch, new global::GradGen.Monitoring.NetworkMonitor(s_layerTable, s_parameters));"
                    : $"_layers = new Layers<{Dual}>(Arena, maxBatch);");
            }
            w.Line();
            w.Line("protected override void ForwardCore(int B) => _layers.Forward(B);");
            w.Line($"protected override void LossCore(global::System.ReadOnlySpan<{target}> targets, int B) => _layers.Loss(targets, B, withGradient: true);");
            w.Line("protected override void BackwardCore(int B) => _layers.Backward(B);");
        }
    }
}
