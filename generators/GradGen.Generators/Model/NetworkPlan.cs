using System.Collections.Generic;
using System.Linq;

namespace GradGen.Generators.Model;

// The plan: what the generated code computes, decided once by the Planner from a NetworkModel. Every decision is
// explicit here (which op fuses what, what it keeps for its backward, whether a gradient write overwrites or
// accumulates, where every buffer lives), so that the emitter only formats and the analyzers' forecast reads the
// same facts the generated code runs on. Plans are built once and never changed: every type below is immutable.
// Unlike the declaration model, a plan never enters the incremental pipeline's cache, so it holds plain lists.

/// <summary>The plan of one network, or the problems that stop it from being planned.</summary>
internal sealed record NetworkPlan(
    IReadOnlyList<Problem> Problems,
    IReadOnlyList<ParameterPlan> Parameters,
    IReadOnlyList<BufferPlan> Buffers,
    IReadOnlyList<OpPlan> Ops,
    IReadOnlyList<ScheduleNode> Schedule,
    ViewPlan? Input,
    ViewPlan? Output,
    int ParameterCount,
    int PerSampleTotal,
    int ScratchWidth)
{
    public static NetworkPlan Failed(IReadOnlyList<Problem> problems) =>
        new(problems, new ParameterPlan[0], new BufferPlan[0], new OpPlan[0], new ScheduleNode[0], null, null, 0, 0, 0);
}

/// <summary>A parameter tensor: its PyTorch name, shape, offset in the flat parameter span, and initialiser.</summary>
internal sealed record ParameterPlan(string Name, int[] Shape, int Offset, InitModel Init, int FanIn, int FanOut, string Constant)
{
    public long Length => Shape.Aggregate(1L, (x, y) => x * y); // long: 65536 × 65536 must not wrap to 0
}

internal enum BufferRole
{
    /// <summary>The network's input, copied in by Forward.</summary>
    Input,
    /// <summary>A layer's output, whose gradient the backward pass needs.</summary>
    Value,
    /// <summary>A dense block's concatenation of features; its gradient is cleared once and only accumulated into.</summary>
    Concat,
    /// <summary>A pre-activation, kept for the backward.</summary>
    PreActivation,
    /// <summary>LayerNorm's per-sample mean or reciprocal std, kept for the backward.</summary>
    Statistics,
    /// <summary>The gradient of a Value or Concat buffer.</summary>
    Gradient,
}

/// <summary>A buffer of the activation arena: <see cref="Width"/> values per sample, MaxBatch rows, starting at
/// ActivationsStart + maxBatch · <see cref="Offset"/>. <see cref="Gradient"/> is its twin for Value and Concat buffers.</summary>
internal sealed record BufferPlan(string Name, int Width, BufferRole Role, int Offset, BufferPlan? Gradient);

/// <summary>A (batch, Width) view of a buffer: columns [Column, Column + Width) of each row, row stride Buffer.Width.</summary>
internal sealed record ViewPlan(BufferPlan Buffer, int Column, int Width)
{
    public int Stride => Buffer.Width;
    public bool IsWholeBuffer => Column == 0 && Width == Buffer.Width;
}

internal readonly record struct ActivationPlan(ActivationKind Kind, double Slope, double Alpha);

/// <summary>One step of the forward pass (and, reversed, of the backward pass).</summary>
/// <param name="Index">Position in forward order.</param>
/// <param name="LayerIndex">The declaration's attribute that produced the op (for diagnostics and comments).</param>
/// <param name="Source">That attribute as written; for a fused residual add, both attributes.</param>
/// <param name="Label">The op's identifier in generated code ("Dense0", "ResidualAdd6").</param>
/// <param name="Residual">A value added before the activation (the skip of a residual block), or null.</param>
/// <param name="AccumulateDx">The backward adds into the input's gradient (another op wrote it first) instead of overwriting it.</param>
/// <param name="AccumulateDskip">The same for the residual's gradient.</param>
internal abstract record OpPlan(int Index, int LayerIndex, string Source, string Label, ViewPlan Input, ViewPlan Output,
    ViewPlan? Residual, bool AccumulateDx, bool AccumulateDskip)
{
    /// <summary>The input is the network's own: no gradient is propagated to it.</summary>
    public bool HasDx => Input.Buffer.Gradient is not null;
}

/// <summary>a = act(x·wᵀ + b (+ r)). <see cref="PreActivation"/> keeps z when the derivative needs it;
/// with <see cref="DerivativeFromOutput"/> the derivative is read off a instead (ReLU-like: a &gt; 0 exactly when z &gt; 0).</summary>
internal sealed record DenseOp(int Index, int LayerIndex, string Source, string Label, ViewPlan Input, ViewPlan Output,
    ViewPlan? Residual, bool AccumulateDx, bool AccumulateDskip,
    ParameterPlan Weight, ParameterPlan? Bias, ActivationPlan Activation, BufferPlan? PreActivation, bool DerivativeFromOutput)
    : OpPlan(Index, LayerIndex, Source, Label, Input, Output, Residual, AccumulateDx, AccumulateDskip);

/// <summary>y = (x − mean)·rstd·γ + β per sample, keeping mean and rstd.</summary>
internal sealed record LayerNormOp(int Index, int LayerIndex, string Source, string Label, ViewPlan Input, ViewPlan Output,
    bool AccumulateDx, ParameterPlan Gamma, ParameterPlan Beta, double Epsilon, BufferPlan Mean, BufferPlan Rstd)
    : OpPlan(Index, LayerIndex, Source, Label, Input, Output, null, AccumulateDx, false);

/// <summary>a = act(x (+ r)); z = x + r is kept in <see cref="PreActivation"/> when there is an r and the derivative
/// needs it (without r, z is x itself).</summary>
internal sealed record ActivateOp(int Index, int LayerIndex, string Source, string Label, ViewPlan Input, ViewPlan Output,
    ViewPlan? Residual, bool AccumulateDx, bool AccumulateDskip, ActivationPlan Activation, BufferPlan? PreActivation)
    : OpPlan(Index, LayerIndex, Source, Label, Input, Output, Residual, AccumulateDx, AccumulateDskip);

/// <summary>Copies x into a view: a dense block's input into its concatenation, when it could not be written there directly.</summary>
internal sealed record CopyOp(int Index, int LayerIndex, string Source, string Label, ViewPlan Input, ViewPlan Output, bool AccumulateDx)
    : OpPlan(Index, LayerIndex, Source, Label, Input, Output, null, AccumulateDx, false);

/// <summary>The ops in forward order, with the repeats that produced them kept as a tree, so that the emitter can
/// write a [Repeat] as a loop instead of once per repetition.</summary>
internal abstract record ScheduleNode;

/// <summary>One op, by its index in <see cref="NetworkPlan.Ops"/>.</summary>
internal sealed record OpNode(int Op) : ScheduleNode;

/// <summary>A [Repeat(Count)] block: the nodes of each repetition, in order.</summary>
internal sealed record RepeatNode(int LayerIndex, string Source, IReadOnlyList<IReadOnlyList<ScheduleNode>> Repetitions) : ScheduleNode;
