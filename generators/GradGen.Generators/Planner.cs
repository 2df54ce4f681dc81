using System;
using System.Collections.Generic;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Generators;

// Model → plan. Expands repeats, gives every parameter its PyTorch name, lays out the buffers, decides what each
// op keeps for its backward, and fuses what can be fused (a residual add and its activation into the epilogue of
// the block's last Dense; a dense block's input written straight into the block's concatenation buffer).
// The plan is the emitter's only input, and the analyzer runs the same planner to find structural problems.

/// <summary>A buffer of the activation arena: <see cref="Width"/> values per sample, MaxBatch rows.</summary>
internal sealed class BufferPlan(string name, int width, BufferRole role)
{
    public string Name { get; } = name;
    public int Width { get; } = width;
    public BufferRole Role { get; } = role;
    /// <summary>Offset of this buffer in per-sample units: the buffer starts at ActivationsStart + maxBatch·PerSampleOffset.</summary>
    public int PerSampleOffset { get; set; }
    /// <summary>The buffer that holds this buffer's gradient (values only).</summary>
    public BufferPlan? Gradient { get; set; }
}

internal enum BufferRole
{
    /// <summary>The network's input, copied in by Forward.</summary>
    Input,
    /// <summary>A layer's output, whose gradient the backward pass needs.</summary>
    Value,
    /// <summary>A dense block's concatenation of features; its gradient is cleared once and only accumulated into.</summary>
    Concat,
    /// <summary>Something a backward needs that has no gradient of its own (pre-activations, LayerNorm statistics).</summary>
    Saved,
    /// <summary>A gradient.</summary>
    Gradient,
}

/// <summary>A (batch, Width) view of a buffer: columns [Column, Column + Width) of each row, with row stride Buffer.Width.</summary>
internal sealed class ValueRef(BufferPlan buffer, int column, int width)
{
    public BufferPlan Buffer { get; set; } = buffer;
    public int Column { get; set; } = column;
    public int Width { get; } = width;
    public int Stride => Buffer.Width;
    /// <summary>Held by something other than the next layer (a residual skip), so it cannot be moved.</summary>
    public bool Pinned { get; set; }
    /// <summary>The op that writes it, or null for the network input.</summary>
    public OpPlan? Producer { get; set; }
}

internal sealed class ParameterPlan(string name, int[] shape, int offset, InitModel init, int fanIn, int fanOut, string constant)
{
    public string Name { get; } = name;
    public int[] Shape { get; } = shape;
    public int Offset { get; } = offset;
    public long Length => Shape.Aggregate(1L, (x, y) => x * y); // long: 65536 × 65536 must not wrap to 0
    public InitModel Init { get; } = init;
    public int FanIn { get; } = fanIn;
    public int FanOut { get; } = fanOut;
    /// <summary>The name of the generated constant that holds <see cref="Offset"/>.</summary>
    public string Constant { get; } = constant;
}

internal readonly record struct ActivationPlan(ActivationKind Kind, double Slope, double Alpha);

internal abstract class OpPlan
{
    public int Index { get; set; }
    /// <summary>The attribute that produced the op, as written, for the comment that points back to it.</summary>
    public string Source { get; set; } = "";
    /// <summary>A short identifier for the generated methods ("Dense0", "Residual3Add").</summary>
    public string Label { get; set; } = "";
    public ValueRef Input { get; set; } = null!;
    public ValueRef Output { get; set; } = null!;
    /// <summary>A value added before the activation (the skip of a residual block), or null.</summary>
    public ValueRef? Residual { get; set; }
}

/// <summary>a = act(x·wᵀ + b (+ r)); z = the pre-activation, kept when the activation's derivative needs it.</summary>
internal sealed class DenseOp : OpPlan
{
    public ParameterPlan Weight { get; set; } = null!;
    public ParameterPlan? Bias { get; set; }
    public ActivationPlan Activation { get; set; }
    public BufferPlan? PreActivation { get; set; }
    /// <summary>The activation's derivative is read off its output instead of a kept pre-activation: for ReLU and
    /// leaky ReLU (slope ≥ 0), a &gt; 0 exactly when z &gt; 0, so z need not be stored.</summary>
    public bool DerivativeFromOutput { get; set; }
    public string Name { get; set; } = "";
}

/// <summary>y = (x − mean)·rstd·γ + β per sample, keeping mean and rstd.</summary>
internal sealed class LayerNormOp : OpPlan
{
    public ParameterPlan Gamma { get; set; } = null!;
    public ParameterPlan Beta { get; set; } = null!;
    public double Epsilon { get; set; }
    public BufferPlan Mean { get; set; } = null!;
    public BufferPlan Rstd { get; set; } = null!;
    public string Name { get; set; } = "";
}

/// <summary>a = act(x (+ r)); z = x + r is kept when there is an r and the derivative needs it.</summary>
internal sealed class ActivateOp : OpPlan
{
    public ActivationPlan Activation { get; set; }
    public BufferPlan? PreActivation { get; set; }
}

/// <summary>Copies x into a view (a dense block's input into its concatenation buffer, when it could not be written there directly).</summary>
internal sealed class CopyOp : OpPlan;

internal sealed class NetworkPlan
{
    public List<Problem> Problems { get; } = new();
    public List<ParameterPlan> Parameters { get; } = new();
    public List<BufferPlan> Buffers { get; } = new();
    public List<OpPlan> Ops { get; } = new();
    public ValueRef Input { get; set; } = null!;
    public ValueRef Output { get; set; } = null!;
    public int ParameterCount { get; set; }
    /// <summary>Per-sample elements of all activation buffers together.</summary>
    public int PerSampleTotal { get; set; }
    /// <summary>Per-sample width of the shared backward scratch (the largest dz).</summary>
    public int ScratchWidth { get; set; }
}

internal static class Planner
{
    /// <summary>More ops than this makes generated code too large to compile in reasonable time.</summary>
    public const int MaxOps = 4096;

    public static NetworkPlan Plan(NetworkModel model)
    {
        var plan = new NetworkPlan();
        if (!CheckBalance(model, plan.Problems)) return plan;
        var builder = new Builder(model, plan);
        try
        {
            builder.Run();
            if (plan.Problems.Count == 0) builder.Layout();
        }
        catch (TooLargeException e)
        {
            plan.Problems.Add(new Problem(DiagnosticIds.TooLarge, $"Network '{model.Name}' {e.Message}", -1));
        }
        return plan;
    }

    /// <summary>Every [Repeat] and [Residual] is closed by its own End, innermost first.</summary>
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

    /// <summary>The network is too large; the message completes "Network 'Name' …".</summary>
    private sealed class TooLargeException(string message) : Exception(message);

    private sealed class Builder(NetworkModel model, NetworkPlan plan)
    {
        /// <summary>Where names are given, as PyTorch's module tree would give them: a prefix ("" at the top, "3." inside
        /// the fourth repetition of a block) and the next index for an unnamed layer in that scope.</summary>
        private sealed class NameScope(string prefix)
        {
            public string Prefix { get; } = prefix;
            public int NextIndex { get; set; }
        }
        private int _parameterOffset;
        private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);

        public void Run()
        {
            var input = new BufferPlan("input", model.Inputs, BufferRole.Input);
            plan.Buffers.Add(input);
            plan.Input = new ValueRef(input, 0, model.Inputs) { Pinned = true };
            plan.Output = Lower(0, model.Layers.Count, new NameScope(""), plan.Input);
        }

        private ValueRef Lower(int start, int end, NameScope scope, ValueRef current)
        {
            for (int i = start; i < end; i++)
            {
                var layer = model.Layers[i];
                switch (layer.Kind)
                {
                    case LayerKind.Dense:
                        current = AddDense(i, layer, ParameterName(layer.Name, scope), current, layer.Units, layer.Activation, layer.Bias, "Dense");
                        break;
                    case LayerKind.LayerNorm:
                        current = AddLayerNorm(i, layer, ParameterName(layer.Name, scope), current);
                        if (layer.Activation != ActivationKind.Identity)
                            current = AddActivate(i, layer, current, null, new ActivationPlan(layer.Activation, layer.Slope, layer.Alpha));
                        break;
                    case LayerKind.Activate:
                        current = AddActivate(i, layer, current, null, new ActivationPlan(layer.Activation, layer.Slope, layer.Alpha));
                        break;
                    case LayerKind.Repeat:
                    {
                        int close = Matching(i);
                        // A body with named layers is a module repeated, as nn.Sequential(*[Block() for _ in range(n)]):
                        // each repetition takes the scope's next index and names its layers under it ("3.fc1"). A body of
                        // unnamed layers only is flat, as nn.Sequential(*[nn.Linear(…) for _ in range(n)]) ("0" … "n−1").
                        bool isModule = HasNamedLayers(i + 1, close);
                        for (int r = 0; r < layer.Count; r++)
                        {
                            var inner = isModule ? new NameScope(scope.Prefix + Index(scope) + ".") : scope;
                            current = Lower(i + 1, close, inner, current);
                        }
                        i = close;
                        break;
                    }
                    case LayerKind.Residual:
                    {
                        int close = Matching(i);
                        current = AddResidual(i, layer, close, scope, current);
                        i = close;
                        break;
                    }
                    case LayerKind.DenseBlock:
                        current = AddDenseBlock(i, layer, scope, current);
                        break;
                }
                if (plan.Problems.Count > 0) return current;
            }
            return current;
        }

        private int Matching(int open)
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

        private static string ParameterName(string? declared, NameScope scope) => scope.Prefix + (declared ?? Index(scope));

        private static string Index(NameScope scope) => (scope.NextIndex++).ToString(System.Globalization.CultureInfo.InvariantCulture);

        private bool HasNamedLayers(int start, int end)
        {
            for (int j = start; j < end; j++)
            {
                if (model.Layers[j].Name is not null || model.Layers[j].Kind == LayerKind.DenseBlock) return true;
            }
            return false;
        }

        private bool ClaimName(string name, int layerIndex)
        {
            if (_names.TryGetValue(name, out int first))
            {
                plan.Problems.Add(new Problem(DiagnosticIds.DuplicateName,
                    $"Parameter name '{name}' is used twice (first by [{model.Layers[first].Source}]); give the layers distinct Names", layerIndex));
                return false;
            }
            _names[name] = layerIndex;
            return true;
        }

        private T AddOp<T>(T op, int layerIndex, string kindLabel) where T : OpPlan
        {
            if (plan.Ops.Count >= MaxOps)
                throw new TooLargeException($"expands to more than {MaxOps} layers; GradGen unrolls every layer into code, so reduce the repeat counts");
            op.Index = plan.Ops.Count;
            op.Source = model.Layers[layerIndex].Source;
            op.Label = kindLabel + op.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            op.Output.Producer = op;
            plan.Ops.Add(op);
            return op;
        }

        private static string ConstantName(string parameterName) =>
            "P_" + new string(parameterName.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

        private ParameterPlan AddParameter(string name, int[] shape, InitModel init, int fanIn, int fanOut)
        {
            var p = new ParameterPlan(name, shape, _parameterOffset, init, fanIn, fanOut, ConstantName(name));
            // distinct names can map to one identifier ("a.b" and "a_b"): keep constants unique
            if (plan.Parameters.Any(q => q.Constant == p.Constant))
                p = new ParameterPlan(name, shape, _parameterOffset, init, fanIn, fanOut, p.Constant + "_" + plan.Parameters.Count);
            long next = (long)_parameterOffset + p.Length;
            if (next > int.MaxValue / 4)
                throw new TooLargeException($"has more than {int.MaxValue / 4} parameters (at \"{name}\", shape ({string.Join(", ", shape)})); make its layers narrower");
            _parameterOffset = (int)next;
            plan.Parameters.Add(p);
            plan.ParameterCount = _parameterOffset;
            return p;
        }

        private BufferPlan NewBuffer(string name, int width, BufferRole role)
        {
            var b = new BufferPlan(name, width, role);
            plan.Buffers.Add(b);
            return b;
        }

        private static bool NeedsPreActivation(ActivationKind kind) => kind != ActivationKind.Identity;

        private ValueRef AddDense(int layerIndex, LayerModel layer, string name, ValueRef x, int units, ActivationKind activation, bool bias, string label,
            ValueRef? into = null)
        {
            if (!ClaimName(name + ".weight", layerIndex)) return x;
            int inF = x.Width;
            var act = new ActivationPlan(activation, layer.Slope, layer.Alpha);
            var op = new DenseOp
            {
                Name = name,
                Input = x,
                Activation = act,
                Weight = AddParameter(name + ".weight", new[] { units, inF }, ResolveGain(layer.WeightInit, act), inF, units),
            };
            if (bias) op.Bias = AddParameter(name + ".bias", new[] { units }, layer.BiasInit, inF, units);
            int index = plan.Ops.Count;
            op.Output = into ?? new ValueRef(NewBuffer("a" + index, units, BufferRole.Value), 0, units);
            if (NeedsPreActivation(activation)) op.PreActivation = NewBuffer("z" + index, units, BufferRole.Saved);
            AddOp(op, layerIndex, label);
            return op.Output;
        }

        private ValueRef AddLayerNorm(int layerIndex, LayerModel layer, string name, ValueRef x)
        {
            if (!ClaimName(name + ".weight", layerIndex)) return x;
            int width = x.Width;
            int index = plan.Ops.Count;
            var op = new LayerNormOp
            {
                Name = name,
                Input = x,
                Epsilon = layer.Epsilon,
                // nn.LayerNorm initialises its scale to ones and its shift to zeros
                Gamma = AddParameter(name + ".weight", new[] { width }, new InitModel(InitKind.Constant, 1, 0), width, width),
                Beta = AddParameter(name + ".bias", new[] { width }, new InitModel(InitKind.Zeros, 0, 0), width, width),
                Output = new ValueRef(NewBuffer("a" + index, width, BufferRole.Value), 0, width),
                Mean = NewBuffer("mean" + index, 1, BufferRole.Saved),
                Rstd = NewBuffer("rstd" + index, 1, BufferRole.Saved),
            };
            AddOp(op, layerIndex, "LayerNorm");
            return op.Output;
        }

        private ValueRef AddActivate(int layerIndex, LayerModel layer, ValueRef x, ValueRef? residual, ActivationPlan act, string label = "Activate")
        {
            int index = plan.Ops.Count;
            var op = new ActivateOp
            {
                Input = x,
                Residual = residual,
                Activation = act,
                Output = new ValueRef(NewBuffer("a" + index, x.Width, BufferRole.Value), 0, x.Width),
            };
            // without a residual the pre-activation is x itself, already kept
            if (residual is not null && NeedsPreActivation(act.Kind)) op.PreActivation = NewBuffer("z" + index, x.Width, BufferRole.Saved);
            AddOp(op, layerIndex, label);
            return op.Output;
        }

        private ValueRef AddResidual(int open, LayerModel layer, int close, NameScope scope, ValueRef skip)
        {
            skip.Pinned = true; // the skip-add reads it again after the body: it must stay where it is
            int firstOp = plan.Ops.Count;
            var body = Lower(open + 1, close, scope, skip);
            if (plan.Problems.Count > 0) return body;
            if (body.Width != skip.Width)
            {
                plan.Problems.Add(new Problem(DiagnosticIds.ResidualWidthMismatch,
                    $"[{layer.Source}]: the block's body maps width {skip.Width} to {body.Width}, but the skip-add needs the output as wide as the input; end the body with a layer of {skip.Width} units", open));
                return body;
            }
            if (ReferenceEquals(body, skip))
            {
                plan.Problems.Add(new Problem(DiagnosticIds.UnbalancedBlock, $"[{layer.Source}] has no layers in its body", open));
                return body;
            }
            var act = new ActivationPlan(layer.Activation, layer.Slope, layer.Alpha);
            // Fuse the skip-add and its activation into the epilogue of the body's last Dense when that Dense has no
            // activation of its own: a = act(x·wᵀ + b + skip).
            if (plan.Ops.Count > firstOp && plan.Ops[plan.Ops.Count - 1] is DenseOp last
                && ReferenceEquals(last.Output, body) && last.Activation.Kind == ActivationKind.Identity && last.Residual is null)
            {
                last.Residual = skip;
                last.Activation = act;
                if (NeedsPreActivation(act.Kind)) last.PreActivation = NewBuffer("z" + last.Index, body.Width, BufferRole.Saved);
                last.Source += "] + [" + layer.Source;
                return body;
            }
            return AddActivate(open, layer, body, skip, act, "ResidualAdd");
        }

        private ValueRef AddDenseBlock(int layerIndex, LayerModel layer, NameScope scope, ValueRef x)
        {
            long total = x.Width + (long)layer.Count * layer.Growth;
            if (total > int.MaxValue / 4)
                throw new TooLargeException($"has a dense block wider than {int.MaxValue / 4} features; reduce its layers or growth");
            int index = plan.Ops.Count;
            var concat = NewBuffer("cat" + index, (int)total, BufferRole.Concat);
            var head = new ValueRef(concat, 0, x.Width);
            if (x.Producer is { } producer && !x.Pinned && x.Buffer.Role == BufferRole.Value && x.Column == 0 && x.Stride == x.Width)
            {
                // The previous layer writes its output straight into the first columns of the concatenation.
                plan.Buffers.Remove(x.Buffer);
                x.Buffer = concat;
                head = x;
            }
            else
            {
                AddOp(new CopyOp { Input = x, Output = head }, layerIndex, "DenseBlockInput");
            }
            for (int i = 0; i < layer.Count; i++)
            {
                int width = x.Width + i * layer.Growth;
                var features = new ValueRef(concat, 0, width);
                var output = new ValueRef(concat, width, layer.Growth);
                string name = scope.Prefix + layer.Name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                AddDense(layerIndex, layer, name, features, layer.Growth, layer.Activation, bias: true, "DenseBlock", into: output);
                if (plan.Problems.Count > 0) return x;
            }
            return new ValueRef(concat, 0, (int)total) { Producer = plan.Ops[plan.Ops.Count - 1] };
        }

        /// <summary>A NaN gain means "the default": torch.nn.init.calculate_gain of the layer's activation for
        /// Kaiming, 1 for Xavier and Orthogonal.</summary>
        private static InitModel ResolveGain(InitModel init, ActivationPlan act)
        {
            if (!double.IsNaN(init.A)) return init;
            return init.Kind switch
            {
                InitKind.KaimingNormal or InitKind.KaimingUniform => init with { A = Gain(act) },
                InitKind.XavierNormal or InitKind.XavierUniform or InitKind.Orthogonal => init with { A = 1.0 },
                _ => init,
            };
        }

        /// <summary>torch.nn.init.calculate_gain; activations PyTorch has no gain for get 1.</summary>
        public static double Gain(ActivationPlan act) => act.Kind switch
        {
            ActivationKind.ReLU => Math.Sqrt(2.0),
            ActivationKind.Tanh => 5.0 / 3.0,
            ActivationKind.LeakyReLU => Math.Sqrt(2.0 / (1 + act.Slope * act.Slope)),
            _ => 1.0,
        };

        public void Layout()
        {
            // ReLU-like layers whose output is a plain (B, width) buffer need no pre-activation: the backward reads
            // the derivative's sign off the output. Decided here, after dense blocks may have moved outputs into their
            // concatenation (a strided view, which the backward cannot read as z).
            foreach (var op in plan.Ops.OfType<DenseOp>())
            {
                bool signOfOutputSuffices = op.Activation.Kind == ActivationKind.ReLU
                    || (op.Activation.Kind == ActivationKind.LeakyReLU && op.Activation.Slope >= 0);
                if (op.PreActivation is { } z && signOfOutputSuffices && op.Output.Column == 0 && op.Output.Stride == op.Output.Width)
                {
                    plan.Buffers.Remove(z);
                    op.PreActivation = null;
                    op.DerivativeFromOutput = true;
                }
            }

            // Gradients of values: every value buffer but the input gets a twin.
            foreach (var b in plan.Buffers.ToList())
            {
                if (b.Role is BufferRole.Value or BufferRole.Concat)
                {
                    b.Gradient = new BufferPlan("d" + b.Name, b.Width, BufferRole.Gradient);
                    plan.Buffers.Add(b.Gradient);
                }
            }
            long offset = 0;
            foreach (var b in plan.Buffers)
            {
                b.PerSampleOffset = (int)offset;
                offset += b.Width;
                if (offset > int.MaxValue / 4)
                    throw new TooLargeException($"needs more than {int.MaxValue / 4} activations per sample; make its layers narrower");
            }
            plan.PerSampleTotal = (int)offset;
            plan.ScratchWidth = plan.Ops.Select(o => o.Output.Width).DefaultIfEmpty(1).Max();
        }
    }
}
