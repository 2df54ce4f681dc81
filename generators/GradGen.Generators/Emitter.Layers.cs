using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Generators;

// One forward and one backward method per distinct layer, llm.c style: outputs first, then inputs and weights, each
// an offset that the caller passes (so that every repetition of a [Repeat] runs the same method), with the shapes as
// constants in the body and one comment giving them. Layers whose methods would be the same text share one method.

internal static partial class Emitter
{
    private const string Kernels = "global::GradGen.Kernels";

    /// <summary>A generated method: its text, and the ops that call it.</summary>
    private sealed class Method(string name, IReadOnlyList<string> header, IReadOnlyList<string> body)
    {
        public string Name { get; } = name;
        public IReadOnlyList<string> Header { get; } = header;
        public IReadOnlyList<string> Body { get; } = body;
        public List<OpPlan> Callers { get; } = new();
    }

    /// <summary>Builds a method's text and the call that runs it for one op; methods with the same text are one.</summary>
    private sealed class MethodTable
    {
        private readonly Dictionary<string, Method> _byText = new(StringComparer.Ordinal);
        public List<Method> Methods { get; } = new();

        /// <summary>Registers the method for <paramref name="op"/> and returns the line that calls it.</summary>
        public LineStmt Call(OpPlan op, string suffix, IReadOnlyList<string> header, MethodBody body)
        {
            string signature = "(int B" + string.Concat(body.Parameters.Select(p => ", int " + p.Name)) + ")";
            string key = signature + "\n" + string.Join("\n", body.Lines);
            if (!_byText.TryGetValue(key, out var method))
            {
                method = new Method(op.Label + suffix, header, new[] { "public void " + op.Label + suffix + signature }.Concat(body.Lines).ToList());
                _byText[key] = method;
                Methods.Add(method);
            }
            method.Callers.Add(op);
            var template = method.Name + "(B" + string.Concat(body.Parameters.Select((p, i) => ", " + p.Name + ": " + Hole(i))) + ");";
            return new LineStmt(template, body.Parameters.Select(p => p.Value).ToArray());
        }
    }

    /// <summary>A method body being written: its lines, and for each offset parameter the value this op passes.</summary>
    private sealed class MethodBody
    {
        public List<string> Lines { get; } = new();
        public List<(string Name, Expr Value)> Parameters { get; } = new();

        public void Line(string text) => Lines.Add(text);

        /// <summary>A parameter for a buffer view, and the span expression that reads it.</summary>
        public string View(string name, ViewPlan v)
        {
            Parameters.Add((name, Expr.Of(SlotKind.Buffer, v.Buffer.Offset)));
            return ViewOf(name, v);
        }

        /// <summary>The same view of the buffer's gradient twin.</summary>
        public string GradientView(string name, ViewPlan v)
        {
            Parameters.Add((name, Expr.Of(SlotKind.Buffer, v.Buffer.Gradient!.Offset)));
            return ViewOf(name, v);
        }

        /// <summary>A whole (B, width) buffer kept for the backward.</summary>
        public string Saved(string name, BufferPlan b)
        {
            Parameters.Add((name, Expr.Of(SlotKind.Buffer, b.Offset)));
            return $"Rows({name}, B * {b.Width})";
        }

        /// <summary>The op's index, which the monitor files its statistics under.</summary>
        public void LayerIndex(OpPlan op) => Parameters.Add(("layer", Expr.Of(SlotKind.Number, op.Index)));

        public string Parameter(string name, ParameterPlan p)
        {
            Parameters.Add((name, Expr.Of(SlotKind.Parameter, p.Offset)));
            return name;
        }

        private static string ViewOf(string name, ViewPlan v) => v.Stride == v.Width
            ? $"Rows({name}, B * {v.Width})"
            : $"Rows({name}, (B - 1) * {v.Stride} + {v.Width}, column: {v.Column})"; // (B, width) columns of a (B, stride) buffer
    }

    private sealed class LayerWriter(NetworkPlan plan, bool statistics)
    {
        public MethodTable Forward { get; } = new();
        public MethodTable Backward { get; } = new();

        public LineStmt ForwardCall(OpPlan op) => op switch
        {
            DenseOp d => DenseForward(d),
            LayerNormOp n => LayerNormForward(n),
            ActivateOp a => ActivateForward(a),
            _ => CopyForward((CopyOp)op),
        };

        public LineStmt BackwardCall(OpPlan op) => op switch
        {
            DenseOp d => DenseBackward(d),
            LayerNormOp n => LayerNormBackward(n),
            ActivateOp a => ActivateBackward(a),
            _ => CopyBackward((CopyOp)op),
        };

        // ---- Dense

        private string[] DenseHeader(DenseOp d)
        {
            int inF = d.Input.Width, outF = d.Output.Width;
            string formula = Applied(d.Activation.Kind, $"x·wᵀ{(d.Bias is null ? "" : " + b")}{(d.Residual is null ? "" : " + skip")}");
            return new[]
            {
                $"// ---- {d.Label}: [{d.Source}] → \"{d.Weight.Name}\"{(d.Bias is null ? "" : $", \"{d.Bias.Name}\"")}",
                $"// x (B, {inF}), w ({outF}, {inF}){(d.Bias is null ? "" : $", b ({outF})")}{(d.Residual is null ? "" : $", skip (B, {outF})")} → a = {formula} (B, {outF}){(d.PreActivation is null ? "" : ", keeping the pre-activation z")}",
            };
        }

        private LineStmt DenseForward(DenseOp d)
        {
            int inF = d.Input.Width, outF = d.Output.Width;
            var m = new MethodBody();
            string a = m.View("a", d.Output);
            string z = d.PreActivation is null ? "default" : m.Saved("z", d.PreActivation);
            string x = m.View("x", d.Input);
            string w = m.Parameter("w", d.Weight);
            string b = d.Bias is null ? "" : m.Parameter("b", d.Bias);
            string skip = d.Residual is null ? "default" : m.View("skip", d.Residual);
            // One line of outputs, one of inputs, one of sizes.
            m.Line($"{Kernels}.Dense.Forward<T, {ActivationType(d.Activation)}>(a: {a}, lda: {d.Output.Stride}, z: {z},");
            m.Line($"    x: {x}, ldx: {d.Input.Stride}, w: Weights({w}, {outF} * {inF}), b: {(d.Bias is null ? "default" : $"Weights({b}, {outF})")}, r: {skip}, ldr: {d.Residual?.Stride ?? 0},");
            m.Line($"    batch: B, inFeatures: {inF}, outFeatures: {outF}, act: {ActivationValue(d.Activation)});");
            RecordActivations(m, d);
            return Forward.Call(d, "_Forward", DenseHeader(d), m);
        }

        private LineStmt DenseBackward(DenseOp d)
        {
            int inF = d.Input.Width, outF = d.Output.Width;
            string name = Activations.Of(d.Activation.Kind).Name;
            string derivative = d.Activation.Kind == ActivationKind.Identity ? "1"
                : d.DerivativeFromOutput ? name + "′, read off a (a > 0 exactly when z > 0)" : name + "′(z)";
            var header = new[]
            {
                $"// in the forward pass this was: a = {Applied(d.Activation.Kind, $"x·wᵀ{(d.Bias is null ? "" : " + b")}{(d.Residual is null ? "" : " + skip")}")}",
                $"// dz = da ⊙ {derivative}; dw += dzᵀ·x{(d.Bias is null ? "" : "; db += Σ dz")}; dx {Assign(d.AccumulateDx)} dz·w{(d.Residual is null ? "" : $"; dskip {Assign(d.AccumulateDskip)} dz")}",
            };
            var m = new MethodBody();
            string dx = d.HasDx ? m.GradientView("dx", d.Input) : "";
            string dskip = d.Residual is { } r && r.Buffer.Gradient is not null ? m.GradientView("dskip", r) : "";
            string da = m.GradientView("da", d.Output);
            bool readsA = d.Activation.Kind != ActivationKind.Identity;
            string a = readsA ? m.View("a", d.Output) : "default";
            string z = d.DerivativeFromOutput ? a : d.PreActivation is null ? "default" : m.Saved("z", d.PreActivation);
            string x = m.View("x", d.Input);
            string w = m.Parameter("w", d.Weight);
            string b = d.Bias is null ? "" : m.Parameter("b", d.Bias);
            // One line of outputs (gradients), one of inputs, one of sizes.
            string dxArguments = d.HasDx ? $"dx: {dx}, lddx: {d.Input.Stride}, accumulateDx: {Bool(d.AccumulateDx)}" : "dx: default, lddx: 0, accumulateDx: false";
            m.Line($"{Kernels}.Dense.Backward<T, {ActivationType(d.Activation)}>({dxArguments}, dw: WeightGradients({w}, {outF} * {inF}), db: {(d.Bias is null ? "default" : $"WeightGradients({b}, {outF})")}, dz: Scratch(B * {outF}),{(d.HasDx ? "" : " // x is the network's input: no dx")}");
            m.Line($"    da: {da}, ldda: {d.Output.Stride}, z: {z}, a: {a}, lda: {d.Output.Stride}, x: {x}, ldx: {d.Input.Stride}, w: Weights({w}, {outF} * {inF}),");
            m.Line($"    batch: B, inFeatures: {inF}, outFeatures: {outF}, act: {ActivationValue(d.Activation)});");
            if (dskip.Length > 0)
            {
                m.Line("// the skip carries dz past the block unchanged");
                m.Line($"{Kernels}.Elementwise.Copy<T>({dskip}, {d.Residual!.Stride}, Scratch(B * {outF}), {outF}, B, {outF}, accumulate: {Bool(d.AccumulateDskip)});");
            }
            RecordGradients(m, d);
            return Backward.Call(d, "_Backward", header, m);
        }

        // ---- LayerNorm

        private LineStmt LayerNormForward(LayerNormOp n)
        {
            int width = n.Input.Width;
            var header = new[]
            {
                $"// ---- {n.Label}: [{n.Source}] → \"{n.Gamma.Name}\", \"{n.Beta.Name}\"",
                $"// x (B, {width}) → y = (x − mean)·rstd·γ + β (B, {width}), keeping mean and rstd (B)",
            };
            var m = new MethodBody();
            string y = m.View("y", n.Output);
            string mean = m.Saved("mean", n.Mean), rstd = m.Saved("rstd", n.Rstd);
            string x = m.View("x", n.Input);
            string gamma = m.Parameter("gamma", n.Gamma), beta = m.Parameter("beta", n.Beta);
            m.Line($"{Kernels}.LayerNorm.Forward<T>(y: {y}, ldy: {n.Output.Stride}, mean: {mean}, rstd: {rstd},");
            m.Line($"    x: {x}, ldx: {n.Input.Stride}, gamma: Weights({gamma}, {width}), beta: Weights({beta}, {width}),");
            m.Line($"    batch: B, width: {width}, epsilon: T.CreateTruncating({Literal(n.Epsilon)}));");
            RecordActivations(m, n);
            return Forward.Call(n, "_Forward", header, m);
        }

        private LineStmt LayerNormBackward(LayerNormOp n)
        {
            int width = n.Input.Width;
            var header = new[] { "// in the forward pass this was: y = (x − mean)·rstd·γ + β" };
            var m = new MethodBody();
            string dx = n.HasDx ? m.GradientView("dx", n.Input) : "";
            string dy = m.GradientView("dy", n.Output);
            string x = m.View("x", n.Input);
            string mean = m.Saved("mean", n.Mean), rstd = m.Saved("rstd", n.Rstd);
            string gamma = m.Parameter("gamma", n.Gamma), beta = m.Parameter("beta", n.Beta);
            string dxArguments = n.HasDx ? $"dx: {dx}, lddx: {n.Input.Stride}, accumulateDx: {Bool(n.AccumulateDx)}" : "dx: default, lddx: 0, accumulateDx: false";
            m.Line($"{Kernels}.LayerNorm.Backward<T>({dxArguments}, dgamma: WeightGradients({gamma}, {width}), dbeta: WeightGradients({beta}, {width}),{(n.HasDx ? "" : " // x is the network's input: no dx")}");
            m.Line($"    dy: {dy}, lddy: {n.Output.Stride}, x: {x}, ldx: {n.Input.Stride}, mean: {mean}, rstd: {rstd}, gamma: Weights({gamma}, {width}),");
            m.Line($"    batch: B, width: {width});");
            RecordGradients(m, n);
            return Backward.Call(n, "_Backward", header, m);
        }

        // ---- Activate and residual add

        private LineStmt ActivateForward(ActivateOp op)
        {
            int width = op.Input.Width;
            string applied = Applied(op.Activation.Kind, op.Residual is null ? "x" : "x + skip");
            var header = new[]
            {
                $"// ---- {op.Label}: [{op.Source}]",
                $"// x (B, {width}){(op.Residual is null ? "" : $", skip (B, {width})")} → a = {applied} (B, {width})",
            };
            var m = new MethodBody();
            string a = m.View("a", op.Output);
            string z = op.PreActivation is null ? "default" : m.Saved("z", op.PreActivation);
            string x = m.View("x", op.Input);
            string skip = op.Residual is null ? "default" : m.View("skip", op.Residual);
            m.Line($"{Kernels}.Elementwise.Activate<T, {ActivationType(op.Activation)}>(a: {a}, lda: {op.Output.Stride}, z: {z},");
            m.Line($"    x: {x}, ldx: {op.Input.Stride}, r: {skip}, ldr: {op.Residual?.Stride ?? 0},");
            m.Line($"    batch: B, width: {width}, act: {ActivationValue(op.Activation)});");
            RecordActivations(m, op);
            return Forward.Call(op, "_Forward", header, m);
        }

        private LineStmt ActivateBackward(ActivateOp op)
        {
            int width = op.Input.Width;
            var header = new[] { $"// in the forward pass this was: a = {Applied(op.Activation.Kind, op.Residual is null ? "x" : "x + skip")}" };
            var m = new MethodBody();
            string dx = op.HasDx ? m.GradientView("dx", op.Input) : "";
            string dskip = op.Residual is { } r && r.Buffer.Gradient is not null ? m.GradientView("dskip", r) : "";
            string da = m.GradientView("da", op.Output);
            // without a residual the pre-activation is x itself
            string z = op.PreActivation is not null ? $"{m.Saved("z", op.PreActivation)}, ldz: {width}" : $"{m.View("x", op.Input)}, ldz: {op.Input.Stride}";
            string a = m.View("a", op.Output);
            string scratch = $"Scratch(B * {width})";
            m.Line($"{Kernels}.Elementwise.ActivateBackward<T, {ActivationType(op.Activation)}>(dz: {scratch},");
            m.Line($"    da: {da}, ldda: {op.Output.Stride}, z: {z}, a: {a}, lda: {op.Output.Stride},");
            m.Line($"    batch: B, width: {width}, act: {ActivationValue(op.Activation)});");
            if (dx.Length > 0)
                m.Line($"{Kernels}.Elementwise.Copy<T>({dx}, {op.Input.Stride}, {scratch}, {width}, B, {width}, accumulate: {Bool(op.AccumulateDx)}); // dx {Assign(op.AccumulateDx)} dz");
            if (dskip.Length > 0)
                m.Line($"{Kernels}.Elementwise.Copy<T>({dskip}, {op.Residual!.Stride}, {scratch}, {width}, B, {width}, accumulate: {Bool(op.AccumulateDskip)}); // dskip {Assign(op.AccumulateDskip)} dz");
            RecordGradients(m, op);
            return Backward.Call(op, "_Backward", header, m);
        }

        // ---- Copy (a dense block's input)

        private LineStmt CopyForward(CopyOp c)
        {
            int width = c.Input.Width;
            var header = new[] { $"// ---- {c.Label}: [{c.Source}] reads its input from its concatenation buffer: copy it there" };
            var m = new MethodBody();
            string a = m.View("a", c.Output);
            string x = m.View("x", c.Input);
            m.Line($"{Kernels}.Elementwise.Copy<T>({a}, {c.Output.Stride}, {x}, {c.Input.Stride}, B, {width}, accumulate: false);");
            RecordActivations(m, c);
            return Forward.Call(c, "_Forward", header, m);
        }

        private LineStmt CopyBackward(CopyOp c)
        {
            int width = c.Input.Width;
            var header = new[] { "// in the forward pass this was: a = x" };
            var m = new MethodBody();
            if (c.HasDx)
            {
                string dx = m.GradientView("dx", c.Input);
                string da = m.GradientView("da", c.Output);
                m.Line($"{Kernels}.Elementwise.Copy<T>({dx}, {c.Input.Stride}, {da}, {c.Output.Stride}, B, {width}, accumulate: {Bool(c.AccumulateDx)});");
            }
            else
            {
                m.Line("// the input is the network's: no gradient needed");
            }
            RecordGradients(m, c);
            return Backward.Call(c, "_Backward", header, m);
        }

        /// <summary>A dense block's concatenation gathers the gradient of every layer that reads it: the backward clears
        /// it before any adds to it. The op that writes its first columns stands for the block here.</summary>
        public IEnumerable<LineStmt> ClearConcatenationGradient(OpPlan op)
        {
            var b = op.Output.Buffer;
            if (b.Role != BufferRole.Concat || op.Output.Column != 0 || ReferenceEquals(b, plan.Output!.Buffer)) yield break;
            yield return new LineStmt($"Rows({Hole(0)}, B * {b.Width}).Clear(); // every layer of the block adds its share into this gradient",
                new[] { Expr.Of(SlotKind.Buffer, b.Gradient!.Offset) });
        }

        /// <summary>With statistics compiled in: the layer's output, recorded right after the kernel wrote it, while it
        /// is in cache, on sampled steps only.</summary>
        private void RecordActivations(MethodBody m, OpPlan op)
        {
            if (!statistics) return;
            m.LayerIndex(op);
            var v = op.Output;
            string rows = v.Stride == v.Width ? $"B * {v.Width}" : $"(B - 1) * {v.Stride} + {v.Width}, column: {v.Column}";
            string view = ViewParameterName(m, v, gradient: false);
            m.Line($"if (_monitor.IsSampling) _monitor.RecordActivations<T>(layer, Rows({view}, {rows}), B, {v.Width}, {v.Stride});");
        }

        /// <summary>With statistics compiled in: the gradient at the layer's output, complete when its backward starts.</summary>
        private void RecordGradients(MethodBody m, OpPlan op)
        {
            if (!statistics) return;
            m.LayerIndex(op);
            var v = op.Output;
            string rows = v.Stride == v.Width ? $"B * {v.Width}" : $"(B - 1) * {v.Stride} + {v.Width}, column: {v.Column}";
            string view = ViewParameterName(m, v, gradient: true);
            m.Lines.Insert(0, $"if (_monitor.IsSampling) _monitor.RecordGradients<T>(layer, Rows({view}, {rows}), B, {v.Width}, {v.Stride});");
        }

        /// <summary>The name of the method parameter that already holds the output's offset.</summary>
        private static string ViewParameterName(MethodBody m, ViewPlan v, bool gradient)
        {
            // A dense block's input and output views share a buffer: the output's is the first view of it that a forward
            // takes ("a") and the last gradient view that a backward takes ("da").
            int offset = gradient ? v.Buffer.Gradient!.Offset : v.Buffer.Offset;
            var matches = m.Parameters.Where(p => p.Value.Kind == SlotKind.Buffer && p.Value.Value == offset).Select(p => p.Name).ToList();
            if (matches.Count > 0) return gradient ? matches[matches.Count - 1] : matches[0];
            // (only a backward that propagates nothing, a dense block's copy of the network's input, lacks it)
            string added = gradient ? "da" : "a";
            m.Parameters.Add((added, Expr.Of(SlotKind.Buffer, offset)));
            return added;
        }
    }

    // ---------------------------------------------------------------- names and literals

    private static string Assign(bool accumulate) => accumulate ? "+=" : "=";

    private static string Applied(ActivationKind kind, string formula) =>
        kind == ActivationKind.Identity ? formula : $"{Activations.Of(kind).Name}({formula})";

    private static string ActivationType(ActivationPlan act) => $"{Kernels}.{act.Kind}";

    private static string ActivationValue(ActivationPlan act) => Activations.Of(act.Kind).Argument is { } argument
        ? $"new {Kernels}.{act.Kind}({Literal(argument(act))})"
        : $"default({Kernels}.{act.Kind})";

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>A double literal in the invariant culture that round-trips ("R"): a Finnish locale must not write a
    /// Unicode minus sign or a decimal comma into generated code.</summary>
    internal static string Literal(double value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? s : s + ".0";
    }
}
