using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Generators;

/// <summary>Model → plan, in named passes, each with one job:
/// <list type="number">
/// <item><see cref="CheckBalance"/>: every [Repeat] and [Residual] is closed by its own End.</item>
/// <item><see cref="ExpandRepeats"/>: the declaration as a flat list of layer instances, repeats unrolled.</item>
/// <item><see cref="NameParameters"/>: every layer's PyTorch name, and no name twice.</item>
/// <item><see cref="LowerToOps"/>: instances to ops and buffers, one op per operation (a residual add is its own op).</item>
/// <item><see cref="FuseResidualEpilogues"/>: a residual add and its activation into the epilogue of the body's last Dense.</item>
/// <item><see cref="WriteDenseBlockInputsInPlace"/>: the layer before a dense block writes straight into its concatenation.</item>
/// <item><see cref="DropUnneededPreActivations"/>: ReLU-like layers read their derivative off their output.</item>
/// <item><see cref="DecideGradientWrites"/>: which backward write overwrites a gradient and which adds to it.</item>
/// <item><see cref="LayOutArena"/>: gradient twins and every buffer's offset.</item>
/// <item><see cref="Freeze"/>: the immutable <see cref="NetworkPlan"/>.</item>
/// </list>
/// The passes work on the private drafts below; nothing outside the planner sees a draft, and the plan they produce is
/// never changed. The analyzers run the same planner, so they see the problems and the plan the generator sees.</summary>
internal static class Planner
{
    /// <summary>The planner and the analyzers model every layer of the expanded network (the generated code does not:
    /// a repeat is a loop). More layers than this would make that model slow to build on every keystroke in the IDE.</summary>
    public const int MaxLayers = 100_000;

    public static NetworkPlan Plan(NetworkModel model)
    {
        var problems = new List<Problem>();
        if (!CheckBalance(model, problems)) return NetworkPlan.Failed(problems);
        try
        {
            var instances = ExpandRepeats(model);
            var names = NameParameters(model, instances, problems);
            if (problems.Count > 0) return NetworkPlan.Failed(problems);
            var draft = LowerToOps(model, instances, names, problems);
            if (problems.Count > 0) return NetworkPlan.Failed(problems);
            FuseResidualEpilogues(draft);
            WriteDenseBlockInputsInPlace(draft);
            DropUnneededPreActivations(draft);
            DecideGradientWrites(draft);
            LayOutArena(draft);
            return Freeze(draft);
        }
        catch (TooLargeException e)
        {
            problems.Add(new Problem(DiagnosticIds.TooLarge, $"Network '{model.Name}' {e.Message}", -1));
            return NetworkPlan.Failed(problems);
        }
    }

    /// <summary>The network is too large; the message completes "Network 'Name' …".</summary>
    private sealed class TooLargeException(string message) : Exception(message);

    // ================================================================ 1. balance

    /// <summary>Every [Repeat] and [Residual] is closed by its own End, innermost first, and has a body.</summary>
    private static bool CheckBalance(NetworkModel model, List<Problem> problems)
    {
        var open = new Stack<(LayerKind Kind, int Index)>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var kind = model.Layers[i].Kind;
            if (kind is LayerKind.Repeat or LayerKind.Residual)
            {
                open.Push((kind, i));
            }
            else if (kind is LayerKind.EndRepeat or LayerKind.EndResidual)
            {
                var opener = kind == LayerKind.EndRepeat ? LayerKind.Repeat : LayerKind.Residual;
                if (open.Count == 0)
                {
                    problems.Add(new Problem(DiagnosticIds.UnbalancedBlock, $"[{model.Layers[i].Source}] closes a block, but no [{opener}] is open", i));
                    return false;
                }
                var top = open.Pop();
                if (top.Kind != opener)
                {
                    problems.Add(new Problem(DiagnosticIds.UnbalancedBlock,
                        $"[{model.Layers[i].Source}] closes a [{opener}], but the innermost open block is [{model.Layers[top.Index].Source}]; close it with [End{top.Kind}] first", i));
                    return false;
                }
                if (top.Index == i - 1)
                {
                    problems.Add(new Problem(DiagnosticIds.UnbalancedBlock, $"[{model.Layers[top.Index].Source}] has an empty body", top.Index));
                    return false;
                }
            }
        }
        if (open.Count > 0)
        {
            var top = open.Pop();
            problems.Add(new Problem(DiagnosticIds.UnbalancedBlock, $"[{model.Layers[top.Index].Source}] is never closed: add [End{top.Kind}] after its body", top.Index));
            return false;
        }
        return true;
    }

    // ================================================================ 2. expand repeats

    private enum InstanceKind { Layer, ResidualOpen, ResidualClose, RepeatOpen, RepetitionStart, RepetitionEnd, RepeatClose }

    /// <summary>One entry of the expanded declaration: a layer attribute in one repetition, or a block boundary.
    /// <see cref="IsModule"/> marks the repetitions of a body with named layers, which PyTorch would name as modules.</summary>
    private readonly record struct Instance(InstanceKind Kind, int LayerIndex, bool IsModule = false);

    private static List<Instance> ExpandRepeats(NetworkModel model)
    {
        var result = new List<Instance>();
        int layers = 0;
        Expand(0, model.Layers.Count);
        return result;

        void Expand(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                var layer = model.Layers[i];
                switch (layer.Kind)
                {
                    case LayerKind.Repeat:
                    {
                        int close = Matching(model, i);
                        // A body with named layers is a module repeated, as nn.Sequential(*[Block() for _ in range(n)]);
                        // a body of unnamed layers only is flat, as nn.Sequential(*[nn.Linear(…) for _ in range(n)]).
                        bool isModule = HasNamedLayers(model, i + 1, close);
                        result.Add(new Instance(InstanceKind.RepeatOpen, i));
                        for (int r = 0; r < layer.Count; r++)
                        {
                            result.Add(new Instance(InstanceKind.RepetitionStart, i, isModule));
                            Expand(i + 1, close);
                            result.Add(new Instance(InstanceKind.RepetitionEnd, i, isModule));
                        }
                        result.Add(new Instance(InstanceKind.RepeatClose, i));
                        i = close;
                        break;
                    }
                    case LayerKind.Residual:
                    {
                        int close = Matching(model, i);
                        result.Add(new Instance(InstanceKind.ResidualOpen, i));
                        Expand(i + 1, close);
                        result.Add(new Instance(InstanceKind.ResidualClose, i));
                        i = close;
                        break;
                    }
                    default:
                        layers += layer.Kind == LayerKind.DenseBlock ? Math.Max(1, layer.Count) : 1;
                        if (layers > MaxLayers)
                            throw new TooLargeException($"expands to more than {MaxLayers} layers; the generated code loops over repeats, but the planner and the analyzers model every layer, so reduce the repeat counts");
                        result.Add(new Instance(InstanceKind.Layer, i));
                        break;
                }
            }
        }
    }

    private static int Matching(NetworkModel model, int open)
    {
        int depth = 0;
        for (int j = open + 1; j < model.Layers.Count; j++)
        {
            var kind = model.Layers[j].Kind;
            if (kind is LayerKind.Repeat or LayerKind.Residual) depth++;
            else if (kind is LayerKind.EndRepeat or LayerKind.EndResidual)
            {
                if (depth == 0) return j;
                depth--;
            }
        }
        throw new InvalidOperationException("unbalanced blocks pass CheckBalance"); // unreachable
    }

    private static bool HasNamedLayers(NetworkModel model, int start, int end)
    {
        for (int j = start; j < end; j++)
        {
            if (model.Layers[j].Name is not null || model.Layers[j].Kind == LayerKind.DenseBlock) return true;
        }
        return false;
    }

    // ================================================================ 3. name parameters

    /// <summary>Where names are given, as PyTorch's module tree would give them: a prefix ("" at the top, "3." inside
    /// the fourth repetition of a module) and the next index for an unnamed layer in that scope.</summary>
    private sealed class NameScope(string prefix)
    {
        public string Prefix { get; } = prefix;
        public int NextIndex { get; set; }
        public string TakeIndex() => (NextIndex++).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The module name of every Layer instance ("0", "3.fc1"; a dense block's prefix + Name), by position in
    /// <paramref name="instances"/>. A name used twice is a problem at the second use.</summary>
    private static string?[] NameParameters(NetworkModel model, List<Instance> instances, List<Problem> problems)
    {
        var names = new string?[instances.Count];
        var claimed = new Dictionary<string, int>(StringComparer.Ordinal);
        var scopes = new Stack<NameScope>();
        scopes.Push(new NameScope(""));
        for (int k = 0; k < instances.Count; k++)
        {
            var instance = instances[k];
            switch (instance.Kind)
            {
                case InstanceKind.RepetitionStart when instance.IsModule:
                    scopes.Push(new NameScope(scopes.Peek().Prefix + scopes.Peek().TakeIndex() + "."));
                    break;
                case InstanceKind.RepetitionEnd when instance.IsModule:
                    scopes.Pop();
                    break;
                case InstanceKind.Layer:
                {
                    var layer = model.Layers[instance.LayerIndex];
                    var scope = scopes.Peek();
                    if (layer.Kind is LayerKind.Dense or LayerKind.LayerNorm)
                    {
                        string name = scope.Prefix + (layer.Name ?? scope.TakeIndex());
                        if (!Claim(name)) return names;
                        names[k] = name;
                    }
                    else if (layer.Kind == LayerKind.DenseBlock)
                    {
                        string prefix = scope.Prefix + layer.Name;
                        for (int i = 0; i < layer.Count; i++)
                        {
                            if (!Claim(prefix + i.ToString(CultureInfo.InvariantCulture))) return names;
                        }
                        names[k] = prefix;
                    }
                    bool Claim(string name)
                    {
                        if (claimed.TryGetValue(name + ".weight", out int first))
                        {
                            problems.Add(new Problem(DiagnosticIds.DuplicateName,
                                $"Parameter name '{name}.weight' is used twice (first by [{model.Layers[first].Source}]); give the layers distinct Names", instance.LayerIndex));
                            return false;
                        }
                        claimed[name + ".weight"] = instance.LayerIndex;
                        return true;
                    }
                    break;
                }
            }
        }
        return names;
    }

    // ================================================================ drafts: what the passes work on

    private sealed class DraftBuffer(string kind, int width, BufferRole role)
    {
        public string Kind { get; } = kind;
        public int Width { get; } = width;
        public BufferRole Role { get; } = role;
        public int Offset { get; set; }
        public DraftBuffer? Gradient { get; set; }
        public bool Removed { get; set; }
    }

    private sealed class DraftView(DraftBuffer buffer, int column, int width)
    {
        public DraftBuffer Buffer { get; set; } = buffer;
        public int Column { get; set; } = column;
        public int Width { get; } = width;
        public bool IsWholeBuffer => Column == 0 && Width == Buffer.Width;
        /// <summary>Read again after the next layer (a residual skip), so it must stay where it is.</summary>
        public bool Pinned { get; set; }
        /// <summary>The op that writes it, or null for the network input.</summary>
        public DraftOp? Producer { get; set; }
    }

    private enum OpKind { Dense, LayerNorm, Activate, ResidualAdd, Copy }

    private sealed class DraftOp(OpKind kind, int layerIndex, string source)
    {
        public OpKind Kind { get; } = kind;
        public int LayerIndex { get; } = layerIndex;
        public string Source { get; set; } = source;
        public DraftView Input { get; set; } = null!;
        public DraftView Output { get; set; } = null!;
        public DraftView? Residual { get; set; }
        public ActivationPlan Activation { get; set; }
        public DraftBuffer? PreActivation { get; set; }
        public bool DerivativeFromOutput { get; set; }
        public ParameterPlan? Weight { get; set; }
        public ParameterPlan? Bias { get; set; }
        public double Epsilon { get; set; }
        public DraftBuffer? Mean { get; set; }
        public DraftBuffer? Rstd { get; set; }
        public bool AccumulateDx { get; set; }
        public bool AccumulateDskip { get; set; }
        public bool Removed { get; set; }
    }

    /// <summary>A [Repeat] being lowered: the schedule nodes of each repetition.</summary>
    private sealed class DraftRepeat(int layerIndex)
    {
        public int LayerIndex { get; } = layerIndex;
        public List<List<object>> Repetitions { get; } = new();
    }

    private sealed class Draft
    {
        public List<ParameterPlan> Parameters { get; } = new();
        public HashSet<string> Constants { get; } = new(StringComparer.Ordinal);
        public List<DraftBuffer> Buffers { get; } = new();
        public List<DraftOp> Ops { get; } = new();
        /// <summary>The schedule tree: DraftOp or DraftRepeat entries.</summary>
        public List<object> Schedule { get; } = new();
        public DraftView Input { get; set; } = null!;
        public DraftView Output { get; set; } = null!;
        public int ParameterCount { get; set; }
        public int PerSampleTotal { get; set; }
        public int ScratchWidth { get; set; }
        public NetworkModel Model { get; set; } = null!;
    }

    // ================================================================ 4. lower to ops

    private static Draft LowerToOps(NetworkModel model, List<Instance> instances, string?[] names, List<Problem> problems)
    {
        var draft = new Draft { Model = model };
        var input = NewBuffer(draft, "input", model.Inputs, BufferRole.Input);
        draft.Input = new DraftView(input, 0, model.Inputs) { Pinned = true };
        var current = draft.Input;
        var skips = new Stack<DraftView>();
        var lists = new Stack<List<object>>();
        var repeats = new Stack<DraftRepeat>();
        lists.Push(draft.Schedule);

        for (int k = 0; k < instances.Count; k++)
        {
            var instance = instances[k];
            var layer = model.Layers[instance.LayerIndex];
            switch (instance.Kind)
            {
                case InstanceKind.RepeatOpen:
                    repeats.Push(new DraftRepeat(instance.LayerIndex));
                    lists.Peek().Add(repeats.Peek());
                    break;
                case InstanceKind.RepetitionStart:
                    repeats.Peek().Repetitions.Add(new List<object>());
                    lists.Push(repeats.Peek().Repetitions[repeats.Peek().Repetitions.Count - 1]);
                    break;
                case InstanceKind.RepetitionEnd:
                    lists.Pop();
                    break;
                case InstanceKind.RepeatClose:
                    repeats.Pop();
                    break;
                case InstanceKind.ResidualOpen:
                    current.Pinned = true; // the skip-add reads it again after the body: it must stay where it is
                    skips.Push(current);
                    break;
                case InstanceKind.ResidualClose:
                {
                    var skip = skips.Pop();
                    if (current.Width != skip.Width)
                    {
                        problems.Add(new Problem(DiagnosticIds.ResidualWidthMismatch,
                            $"[{layer.Source}]: the block's body maps width {skip.Width} to {current.Width}, but the skip-add needs the output as wide as the input; end the body with a layer of {skip.Width} units", instance.LayerIndex));
                        return draft;
                    }
                    current = AddActivate(draft, lists.Peek(), OpKind.ResidualAdd, instance.LayerIndex, layer.Source, current, skip, ActivationOf(layer));
                    break;
                }
                case InstanceKind.Layer:
                    current = LowerLayer(draft, lists.Peek(), instance.LayerIndex, layer, names[k]!, current);
                    break;
            }
        }
        draft.Output = current;
        return draft;
    }

    private static DraftView LowerLayer(Draft draft, List<object> schedule, int layerIndex, LayerModel layer, string name, DraftView x)
    {
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                return AddDense(draft, schedule, layerIndex, layer, name, x, layer.Units, layer.Bias, null);
            case LayerKind.LayerNorm:
            {
                var y = AddLayerNorm(draft, schedule, layerIndex, layer, name, x);
                return layer.Activation == ActivationKind.Identity ? y
                    : AddActivate(draft, schedule, OpKind.Activate, layerIndex, layer.Source, y, null, ActivationOf(layer));
            }
            case LayerKind.Activate:
                return AddActivate(draft, schedule, OpKind.Activate, layerIndex, layer.Source, x, null, ActivationOf(layer));
            default: // DenseBlock
            {
                long total = x.Width + (long)layer.Count * layer.Growth;
                if (total > int.MaxValue / 4)
                    throw new TooLargeException($"has a dense block wider than {int.MaxValue / 4} features; reduce its layers or growth");
                var concat = NewBuffer(draft, "cat", (int)total, BufferRole.Concat);
                // The input is copied into the first columns; WriteDenseBlockInputsInPlace removes the copy where the
                // previous layer can write there itself.
                var copy = new DraftOp(OpKind.Copy, layerIndex, layer.Source) { Input = x, Output = new DraftView(concat, 0, x.Width) };
                AddOp(draft, schedule, copy);
                for (int i = 0; i < layer.Count; i++)
                {
                    int width = x.Width + i * layer.Growth;
                    AddDense(draft, schedule, layerIndex, layer, name + i.ToString(CultureInfo.InvariantCulture),
                        new DraftView(concat, 0, width), layer.Growth, bias: true, into: new DraftView(concat, width, layer.Growth));
                }
                return new DraftView(concat, 0, (int)total) { Producer = draft.Ops[draft.Ops.Count - 1] };
            }
        }
    }

    private static ActivationPlan ActivationOf(LayerModel layer) => new(layer.Activation, layer.Slope, layer.Alpha);

    private static DraftBuffer NewBuffer(Draft draft, string kind, int width, BufferRole role)
    {
        var b = new DraftBuffer(kind, width, role);
        draft.Buffers.Add(b);
        return b;
    }

    private static void AddOp(Draft draft, List<object> schedule, DraftOp op)
    {
        op.Output.Producer = op;
        draft.Ops.Add(op);
        schedule.Add(op);
    }

    private static ParameterPlan AddParameter(Draft draft, string name, int[] shape, InitModel init, int fanIn, int fanOut)
    {
        string constant = "P_" + new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
        // distinct names can map to one identifier ("a.b" and "a_b"): keep constants unique
        if (!draft.Constants.Add(constant))
        {
            constant += "_" + draft.Parameters.Count.ToString(CultureInfo.InvariantCulture);
            draft.Constants.Add(constant);
        }
        var p = new ParameterPlan(name, shape, draft.ParameterCount, init, fanIn, fanOut, constant);
        long next = (long)draft.ParameterCount + p.Length;
        if (next > int.MaxValue / 4)
            throw new TooLargeException($"has more than {int.MaxValue / 4} parameters (at \"{name}\", shape ({string.Join(", ", shape)})); make its layers narrower");
        draft.ParameterCount = (int)next;
        draft.Parameters.Add(p);
        return p;
    }

    private static DraftView AddDense(Draft draft, List<object> schedule, int layerIndex, LayerModel layer, string name, DraftView x,
        int units, bool bias, DraftView? into)
    {
        int inF = x.Width;
        var act = ActivationOf(layer);
        var op = new DraftOp(OpKind.Dense, layerIndex, layer.Source)
        {
            Input = x,
            Activation = act,
            Weight = AddParameter(draft, name + ".weight", new[] { units, inF }, ResolveGain(layer.WeightInit, act), inF, units),
        };
        if (bias) op.Bias = AddParameter(draft, name + ".bias", new[] { units }, layer.BiasInit, inF, units);
        op.Output = into ?? new DraftView(NewBuffer(draft, "a", units, BufferRole.Value), 0, units);
        if (act.Kind != ActivationKind.Identity) op.PreActivation = NewBuffer(draft, "z", units, BufferRole.PreActivation);
        AddOp(draft, schedule, op);
        return op.Output;
    }

    private static DraftView AddLayerNorm(Draft draft, List<object> schedule, int layerIndex, LayerModel layer, string name, DraftView x)
    {
        int width = x.Width;
        var op = new DraftOp(OpKind.LayerNorm, layerIndex, layer.Source)
        {
            Input = x,
            Epsilon = layer.Epsilon,
            // nn.LayerNorm initialises its scale to ones and its shift to zeros
            Weight = AddParameter(draft, name + ".weight", new[] { width }, new InitModel(InitKind.Constant, 1, 0), width, width),
            Bias = AddParameter(draft, name + ".bias", new[] { width }, new InitModel(InitKind.Zeros, 0, 0), width, width),
            Output = new DraftView(NewBuffer(draft, "a", width, BufferRole.Value), 0, width),
            Mean = NewBuffer(draft, "mean", 1, BufferRole.Statistics),
            Rstd = NewBuffer(draft, "rstd", 1, BufferRole.Statistics),
        };
        AddOp(draft, schedule, op);
        return op.Output;
    }

    private static DraftView AddActivate(Draft draft, List<object> schedule, OpKind kind, int layerIndex, string source, DraftView x,
        DraftView? residual, ActivationPlan act)
    {
        var op = new DraftOp(kind, layerIndex, source)
        {
            Input = x,
            Residual = residual,
            Activation = act,
            Output = new DraftView(NewBuffer(draft, "a", x.Width, BufferRole.Value), 0, x.Width),
        };
        // without a residual the pre-activation is x itself, already kept
        if (residual is not null && act.Kind != ActivationKind.Identity) op.PreActivation = NewBuffer(draft, "z", x.Width, BufferRole.PreActivation);
        AddOp(draft, schedule, op);
        return op.Output;
    }

    /// <summary>A NaN gain means "the default": torch.nn.init.calculate_gain of the layer's activation for
    /// Kaiming, 1 for Xavier and Orthogonal.</summary>
    private static InitModel ResolveGain(InitModel init, ActivationPlan act)
    {
        if (!double.IsNaN(init.A)) return init;
        return init.Kind switch
        {
            InitKind.KaimingNormal or InitKind.KaimingUniform => init with { A = Activations.Gain(act.Kind, act.Slope) },
            InitKind.XavierNormal or InitKind.XavierUniform or InitKind.Orthogonal => init with { A = 1.0 },
            _ => init,
        };
    }

    // ================================================================ 5. fuse residual epilogues

    /// <summary>a = act(x·wᵀ + b + skip) in one pass: a residual add whose input is the plain output of the Dense just
    /// before it (no activation, no residual of its own) is folded into that Dense's epilogue.</summary>
    private static void FuseResidualEpilogues(Draft draft)
    {
        for (int i = 1; i < draft.Ops.Count; i++)
        {
            var add = draft.Ops[i];
            if (add.Kind != OpKind.ResidualAdd || draft.Ops[i - 1] is not { Kind: OpKind.Dense } dense) continue;
            if (!ReferenceEquals(add.Input, dense.Output) || dense.Activation.Kind != ActivationKind.Identity || dense.Residual is not null) continue;
            dense.Residual = add.Residual;
            dense.Activation = add.Activation;
            dense.PreActivation = add.PreActivation; // x + skip, if the activation needs it
            dense.Source += "] + [" + add.Source;
            // The add's output becomes the Dense's: whoever reads it now reads the Dense's buffer.
            add.Output.Buffer.Removed = true;
            add.Output.Buffer = dense.Output.Buffer;
            add.Output.Column = dense.Output.Column;
            add.Output.Producer = dense;
            dense.Output = add.Output;
            add.Removed = true;
        }
        draft.Ops.RemoveAll(o => o.Removed);
        draft.Buffers.RemoveAll(b => b.Removed);
    }

    // ================================================================ 6. dense block inputs in place

    /// <summary>A dense block's input is copied into the first columns of its concatenation, unless the layer before
    /// writes it there itself: when that value is a whole Value buffer that nothing else reads later (not pinned).</summary>
    private static void WriteDenseBlockInputsInPlace(Draft draft)
    {
        foreach (var copy in draft.Ops.Where(o => o.Kind == OpKind.Copy))
        {
            var x = copy.Input;
            if (x.Producer is null || x.Pinned || x.Buffer.Role != BufferRole.Value || !x.IsWholeBuffer) continue;
            x.Buffer.Removed = true;
            x.Buffer = copy.Output.Buffer;
            x.Column = copy.Output.Column;
            copy.Removed = true;
        }
        draft.Ops.RemoveAll(o => o.Removed);
        draft.Buffers.RemoveAll(b => b.Removed);
    }

    // ================================================================ 7. pre-activations

    /// <summary>Dense layers whose derivative the output alone gives keep no pre-activation when their output is a whole
    /// buffer: ReLU and leaky ReLU (slope ≥ 0), where a &gt; 0 exactly when z &gt; 0, and sigmoid and tanh, whose kernels
    /// compute the derivative from a alone (a·(1 − a) and 1 − a², as PyTorch's backward does). The backward passes a
    /// where z is expected, so the results are the same bits, and the forward stores one output instead of two. (An
    /// output inside a dense block's concatenation is a strided view, which the backward cannot read as z.)</summary>
    private static void DropUnneededPreActivations(Draft draft)
    {
        foreach (var op in draft.Ops.Where(o => o.Kind == OpKind.Dense))
        {
            bool outputSuffices = op.Activation.Kind is ActivationKind.ReLU or ActivationKind.Sigmoid or ActivationKind.Tanh
                || (op.Activation.Kind == ActivationKind.LeakyReLU && op.Activation.Slope >= 0);
            if (op.PreActivation is { } z && outputSuffices && op.Output.IsWholeBuffer)
            {
                z.Removed = true;
                op.PreActivation = null;
                op.DerivativeFromOutput = true;
            }
        }
        draft.Buffers.RemoveAll(b => b.Removed);
    }

    // ================================================================ 8. gradient writes

    /// <summary>The backward runs the ops in reverse. The first to write a value's gradient overwrites it, every later
    /// one adds to it. A concatenation's gradient is cleared once and only ever added to, since its columns are written
    /// by several layers.</summary>
    private static void DecideGradientWrites(Draft draft)
    {
        var written = new HashSet<DraftBuffer> { draft.Output.Buffer };
        for (int i = draft.Ops.Count - 1; i >= 0; i--)
        {
            var op = draft.Ops[i];
            op.AccumulateDx = op.Input.Buffer.Role == BufferRole.Concat || !written.Add(op.Input.Buffer);
            if (op.Residual is { } r) op.AccumulateDskip = r.Buffer.Role == BufferRole.Concat || !written.Add(r.Buffer);
        }
    }

    // ================================================================ 9. layout

    /// <summary>Every Value and Concat buffer gets a gradient twin, laid out after all the values; each buffer's offset
    /// is the sum of the widths before it (per sample: the arena holds MaxBatch rows of each).</summary>
    private static void LayOutArena(Draft draft)
    {
        foreach (var b in draft.Buffers.ToList())
        {
            if (b.Role is BufferRole.Value or BufferRole.Concat)
            {
                b.Gradient = new DraftBuffer("d", b.Width, BufferRole.Gradient);
                draft.Buffers.Add(b.Gradient);
            }
        }
        long offset = 0;
        foreach (var b in draft.Buffers)
        {
            b.Offset = (int)offset;
            offset += b.Width;
            if (offset > int.MaxValue / 4)
                throw new TooLargeException($"needs more than {int.MaxValue / 4} activations per sample; make its layers narrower");
        }
        draft.PerSampleTotal = (int)offset;
        draft.ScratchWidth = draft.Ops.Select(o => o.Output.Width).DefaultIfEmpty(1).Max();
    }

    // ================================================================ 10. freeze

    /// <summary>The drafts as the immutable plan. Ops are labelled by their final position ("Dense3"), and buffers by the
    /// op that writes them ("a3", "z3", "mean3", "cat4"; a gradient is "d" + its value's name).</summary>
    private static NetworkPlan Freeze(Draft draft)
    {
        var index = new Dictionary<DraftOp, int>();
        for (int i = 0; i < draft.Ops.Count; i++) index[draft.Ops[i]] = i;

        var bufferNames = new Dictionary<DraftBuffer, string> { [draft.Input.Buffer] = "input" };
        foreach (var op in draft.Ops)
        {
            string n = index[op].ToString(CultureInfo.InvariantCulture);
            if (!bufferNames.ContainsKey(op.Output.Buffer)) bufferNames[op.Output.Buffer] = (op.Output.Buffer.Role == BufferRole.Concat ? "cat" : "a") + n;
            if (op.PreActivation is { } z) bufferNames[z] = "z" + n;
            if (op.Mean is { } m) bufferNames[m] = "mean" + n;
            if (op.Rstd is { } s) bufferNames[s] = "rstd" + n;
        }
        var buffers = new Dictionary<DraftBuffer, BufferPlan>();
        BufferPlan Buffer(DraftBuffer b)
        {
            if (buffers.TryGetValue(b, out var plan)) return plan;
            var gradient = b.Gradient is null ? null : new BufferPlan("d" + bufferNames[b], b.Width, BufferRole.Gradient, b.Gradient.Offset, null);
            if (gradient is not null) buffers[b.Gradient!] = gradient;
            return buffers[b] = new BufferPlan(bufferNames[b], b.Width, b.Role, b.Offset, gradient);
        }
        ViewPlan View(DraftView v) => new(Buffer(v.Buffer), v.Column, v.Width);
        ViewPlan? Optional(DraftView? v) => v is null ? null : View(v);

        var ops = new List<OpPlan>();
        foreach (var op in draft.Ops)
        {
            int i = index[op];
            string n = i.ToString(CultureInfo.InvariantCulture);
            ops.Add(op.Kind switch
            {
                OpKind.Dense => new DenseOp(i, op.LayerIndex, op.Source, (draft.Model.Layers[op.LayerIndex].Kind == LayerKind.DenseBlock ? "DenseBlock" : "Dense") + n,
                    View(op.Input), View(op.Output), Optional(op.Residual), op.AccumulateDx, op.AccumulateDskip,
                    op.Weight!, op.Bias, op.Activation, op.PreActivation is null ? null : Buffer(op.PreActivation), op.DerivativeFromOutput),
                OpKind.LayerNorm => new LayerNormOp(i, op.LayerIndex, op.Source, "LayerNorm" + n, View(op.Input), View(op.Output), op.AccumulateDx,
                    op.Weight!, op.Bias!, op.Epsilon, Buffer(op.Mean!), Buffer(op.Rstd!)),
                OpKind.Copy => new CopyOp(i, op.LayerIndex, op.Source, "DenseBlockInput" + n, View(op.Input), View(op.Output), op.AccumulateDx),
                _ => new ActivateOp(i, op.LayerIndex, op.Source, (op.Kind == OpKind.ResidualAdd ? "ResidualAdd" : "Activate") + n,
                    View(op.Input), View(op.Output), Optional(op.Residual), op.AccumulateDx, op.AccumulateDskip,
                    op.Activation, op.PreActivation is null ? null : Buffer(op.PreActivation)),
            });
        }
        var allBuffers = draft.Buffers.Select(Buffer).ToList();

        IReadOnlyList<ScheduleNode> Schedule(List<object> nodes)
        {
            var result = new List<ScheduleNode>();
            foreach (var node in nodes)
            {
                if (node is DraftOp op)
                {
                    if (!op.Removed) result.Add(new OpNode(index[op]));
                }
                else
                {
                    var repeat = (DraftRepeat)node;
                    result.Add(new RepeatNode(repeat.LayerIndex, draft.Model.Layers[repeat.LayerIndex].Source,
                        repeat.Repetitions.Select(Schedule).ToList()));
                }
            }
            return result;
        }

        return new NetworkPlan(new Problem[0], draft.Parameters, allBuffers, ops, Schedule(draft.Schedule),
            View(draft.Input), View(draft.Output), draft.ParameterCount, draft.PerSampleTotal, draft.ScratchWidth);
    }
}
