using GradGen.Generators.Model;

namespace GradGen.Generators;

internal static partial class Emitter
{
    private const string DualType = "global::GradGen.Curvature.Dual";

    /// <summary>The factory of the network's passes over dual numbers, for exact Hessian-vector products
    /// (GradGen.Curvature.HessianOperator): Layers&lt;Dual&gt; over an arena of the same layout, run by the runtime's
    /// GeneratedDualNetwork. With statistics compiled in, the dual passes get a monitor of their own that never samples,
    /// so they record nothing.</summary>
    private static void WriteDualNetwork(CodeWriter w, LossKind loss, string inputBuffer, bool statistics)
    {
        string target = TargetType(loss, DualType);
        string targetsPerSample = loss == LossKind.SoftmaxCrossEntropy ? "1" : "Outputs";
        string monitor = statistics ? ", new global::GradGen.Monitoring.NetworkMonitor(s_layerTable, s_parameters)" : "";
        w.Line("// ---- H·v: the same passes over dual numbers θ + ε·v, whose gradient tangents are H·v (docs/hessian.md).");
        w.Line($"private static global::GradGen.Curvature.DualNetwork OverDualNumbers(int maxBatch) => new global::GradGen.Curvature.GeneratedDualNetwork<{target}, Layers<{DualType}>>(");
        w.Line($"    maxBatch, ArenaLength(maxBatch), ParameterTotal, ActivationsStart + maxBatch * {inputBuffer}, Inputs, {targetsPerSample}, arena => new(arena, 0, arena, 0, maxBatch{monitor}));");
    }

    /// <summary>What the Layers&lt;T&gt; struct implements: the passes' interface, when the network has a loss.</summary>
    private static string LayerPassesInterface(LossKind loss) =>
        loss == LossKind.None ? "" : $" : global::GradGen.Curvature.ILayerPasses<T, {TargetType(loss, "T")}>";
}
