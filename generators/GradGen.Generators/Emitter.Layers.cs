using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using GradGen.Generators.Model;

namespace GradGen.Generators;

// One forward and one backward method per distinct layer, llm.c style: outputs first, then inputs and weights, then
// sizes. A method takes every offset and every size as an argument and has one comment giving the shapes in terms of
// them, so that all layers of one kind, activation and fusion share it, whatever their widths: the kernels take their
// sizes as run-time ints anyway, and a constant in the method would buy nothing (the kernel is not inlined into it).
// The caller passes offsets as expressions (so that every repetition of a [Repeat] runs the same call) and sizes and
// flags as literals (so that a loop never computes one).

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
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);
        public List<Method> Methods { get; } = new();

        /// <summary>Registers the method for <paramref name="op"/> under the first free name of <paramref name="kind"/>,
        /// <paramref name="kind"/>2, … and returns the line that calls it. With <paramref name="returnsFinite"/>, the method
        /// returns whether the parameter gradients it wrote are finite, and the call adds that to the backward's finite.</summary>
        public LineStmt Call(OpPlan op, string kind, string suffix, IReadOnlyList<string> header, MethodBody body, string comment = "",
            bool returnsFinite = false)
        {
            // outputs, inputs and weights first (in the order the method took them), then sizes, flags, the activation and
            // the layer index
            var parameters = body.Parameters.OrderBy(Rank).ToList();
            // A method whose activation is an argument is generic over it, as the kernels are: the JIT compiles it once
            // per activation, with the activation's code inlined, as if each had its own method.
            bool generic = body.Parameters.Any(p => p.Type == "TAct");
            string signature = (generic ? "<TAct>" : "") + "(int B" + string.Concat(parameters.Select(p => ", " + p.Type + " " + p.Name)) + ")"
                               + (generic ? $" where TAct : struct, {Kernels}.IActivation" : "");
            string returnType = returnsFinite ? "bool" : "void";
            string key = string.Join("\n", header) + "\n" + returnType + signature + "\n" + string.Join("\n", body.Lines);
            if (!_byText.TryGetValue(key, out var method))
            {
                string name = kind + suffix;
                for (int n = 2; !_names.Add(name); n++) name = kind + n.ToString(CultureInfo.InvariantCulture) + suffix;
                method = new Method(name, header, new[] { $"public {returnType} " + name + signature }.Concat(body.Lines).ToList());
                _byText[key] = method;
                Methods.Add(method);
            }
            method.Callers.Add(op);
            var offsets = new List<Expr>();
            var template = new System.Text.StringBuilder((returnsFinite ? "finite &= " : "") + method.Name + "(B");
            foreach (var p in parameters)
            {
                template.Append(", ").Append(p.Name).Append(": ");
                if (p.Offset is { } e)
                {
                    template.Append(Hole(offsets.Count));
                    offsets.Add(e);
                }
                else
                {
                    template.Append(p.Literal);
                }
            }
            template.Append(");").Append(comment);
            return new LineStmt(template.ToString(), offsets);
        }
    }

    private static int Rank(Argument p) => p switch
    {
        { Offset.Kind: SlotKind.Number } => 4, // the layer index
        { Type: "TAct" } => 3,
        { Type: "bool" } => 2,
        { Offset: null } => 1,
        _ => 0,
    };

    /// <summary>A method parameter: an offset (an expression the caller computes, which a loop may advance) or a size
    /// or flag (a literal of the call).</summary>
    private sealed record Argument(string Name, string Type, Expr? Offset, string? Literal);

    /// <summary>A method body being written: its lines, and for each parameter the value this op passes.</summary>
    private sealed class MethodBody
    {
        public List<string> Lines { get; } = new();
        public List<Argument> Parameters { get; } = new();

        public void Line(string text) => Lines.Add(text);

        private void Offset(string name, SlotKind kind, int value) => Parameters.Add(new Argument(name, "int", Expr.Of(kind, value), null));

        /// <summary>A size or flag the caller writes as a literal; the name is returned for the body to use.</summary>
        public string Size(string name, int value) => Constant(name, "int", value.ToString(CultureInfo.InvariantCulture));

        public string Flag(string name, bool value) => Constant(name, "bool", Bool(value));

        /// <summary>A flag the caller passes on from its own parameter of the same name (the backward's accumulateGradients).</summary>
        public string PassedFlag(string name) => Constant(name, "bool", name);

        /// <summary>Makes the body return the finiteness that the kernel call starting with <paramref name="call"/> reports:
        /// the call itself when it is the only statement, else kept in <c>finite</c> and returned at the end.</summary>
        public void ReturnFinite(string call)
        {
            if (Lines.Count(line => !line.StartsWith(" ", StringComparison.Ordinal)) == 1) return;
            int i = Lines.FindIndex(line => line.StartsWith(call, StringComparison.Ordinal));
            Lines[i] = "bool finite = " + Lines[i];
            Lines.Add("return finite;");
        }

        /// <summary>The activation, passed as a value of its type (default(ReLU), new LeakyReLU(0.01)): the method is generic over it.</summary>
        public string Activation(ActivationPlan act) => Constant("act", "TAct", ActivationValue(act));

        private string Constant(string name, string type, string literal)
        {
            if (!Parameters.Any(p => p.Name == name)) Parameters.Add(new Argument(name, type, null, literal));
            return name;
        }

        /// <summary>A parameter for a buffer view, and the span expression that reads it. <paramref name="role"/> names
        /// the tensor ("a", "x", "skip") whose row stride and first column a strided view takes as ld{role} and
        /// {role}Column; <paramref name="width"/> is the name of its width.</summary>
        public string View(string name, ViewPlan v, string role, string width)
        {
            Offset(name, SlotKind.Buffer, v.Buffer.Offset);
            return Span(name, v, role, width);
        }

        /// <summary>The same view of the buffer's gradient twin.</summary>
        public string GradientView(string name, ViewPlan v, string role, string width)
        {
            Offset(name, SlotKind.Buffer, v.Buffer.Gradient!.Offset);
            return Span(name, v, role, width);
        }

        /// <summary>The row stride of a view: its width, or ld{role} for a column slice of a wider buffer.</summary>
        public string Ld(ViewPlan v, string role, string width) => v.Stride == v.Width ? width : Size("ld" + role, v.Stride);

        /// <summary>(B, width) rows of the buffer whose offset parameter is <paramref name="name"/>.</summary>
        public string Span(string name, ViewPlan v, string role, string width) => v.Stride == v.Width
            ? $"Rows({name}, B * {width})"
            : $"Rows({name}, (B - 1) * {Ld(v, role, width)} + {width}, column: {Size(role + "Column", v.Column)})"; // (B, width) columns of a (B, stride) buffer

        /// <summary>A whole (B, width) buffer kept for the backward.</summary>
        public string Saved(string name, string width, BufferPlan b)
        {
            Offset(name, SlotKind.Buffer, b.Offset);
            return $"Rows({name}, B * {width})";
        }

        /// <summary>The op's index, which the monitor files its statistics under.</summary>
        public void LayerIndex(OpPlan op) => Offset("layer", SlotKind.Number, op.Index);

        public string Parameter(string name, ParameterPlan p)
        {
            Offset(name, SlotKind.Parameter, p.Offset);
            return name;
        }
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

        /// <summary>The method's name: the kind and its fusions; FromBlock when it reads columns of a dense block's
        /// concatenation, IntoBlock when it writes them (strided views, whose stride and first column it takes).</summary>
        private static string KindName(string kind, bool residual, ViewPlan output, params ViewPlan?[] inputs) =>
            kind + (residual ? "Residual" : "") + (inputs.Any(Strided) ? "FromBlock" : "") + (Strided(output) ? "IntoBlock" : "");

        private static bool Strided(ViewPlan? v) => v is not null && v.Stride != v.Width;

        /// <summary>The trailing comment of a forward call: the attribute the layer came from.</summary>
        private static string From(OpPlan op) => " // [" + op.Source + "]";

        // ---- Dense

        private static string DenseFormula(DenseOp d) => $"act(x·wᵀ{(d.Bias is null ? "" : " + b")}{(d.Residual is null ? "" : " + skip")})";

        private static string DenseKind(DenseOp d) => KindName("Dense", d.Residual is not null, d.Output, d.Input, d.Residual);

        private LineStmt DenseForward(DenseOp d)
        {
            var header = new[]
            {
                $"// ---- x (B, inF), w (outF, inF){(d.Bias is null ? "" : ", b (outF)")}{(d.Residual is null ? "" : ", skip (B, outF)")} → a = {DenseFormula(d)} (B, outF){(d.PreActivation is null ? "" : ", keeping the pre-activation z")}",
            };
            var m = new MethodBody();
            string a = m.View("a", d.Output, "a", "outF");
            string z = d.PreActivation is null ? "default" : m.Saved("z", "outF", d.PreActivation);
            string x = m.View("x", d.Input, "x", "inF");
            string w = m.Parameter("w", d.Weight);
            string b = d.Bias is null ? "" : m.Parameter("b", d.Bias);
            string skip = d.Residual is null ? "default" : m.View("skip", d.Residual, "skip", "outF");
            m.Size("inF", d.Input.Width);
            m.Size("outF", d.Output.Width);
            // One line of outputs, one of inputs and sizes.
            m.Line($"{Kernels}.Dense.Forward<T, TAct>(a: {a}, lda: {m.Ld(d.Output, "a", "outF")}, z: {z},");
            m.Line($"    x: {x}, ldx: {m.Ld(d.Input, "x", "inF")}, w: Weights({w}, outF * inF), b: {(d.Bias is null ? "default" : $"Weights({b}, outF)")}, r: {skip}, ldr: {(d.Residual is null ? "0" : m.Ld(d.Residual, "skip", "outF"))}, batch: B, inFeatures: inF, outFeatures: outF, act: {m.Activation(d.Activation)});");
            RecordActivations(m, d, "outF");
            return Forward.Call(d, DenseKind(d) + (d.PreActivation is null ? "" : "KeepingZ"), "_Forward", header, m, From(d));
        }

        private LineStmt DenseBackward(DenseOp d)
        {
            string derivative = d.Activation.Kind == ActivationKind.Identity ? "1 (act is the identity)"
                : d.DerivativeFromOutput ? DerivativeFromOutput(d.Activation.Kind) : "act′(z)";
            string dxFormula = d.HasDx ? "; dx = dz·w (+= with accumulateDx)" : "";
            string dskipFormula = d.Residual is { } s && s.Buffer.Gradient is not null ? "; dskip = dz (+= with accumulateDskip)" : "";
            var header = new[] { $"// in the forward pass this was: a = {DenseFormula(d)}; so dz = da ⊙ {derivative}; dw += dzᵀ·x{(d.Bias is null ? "" : "; db += Σ dz")} (= without accumulateGradients){dxFormula}{dskipFormula}" };
            var m = new MethodBody();
            string dx = d.HasDx ? m.GradientView("dx", d.Input, "x", "inF") : "";
            string dskip = d.Residual is { } r && r.Buffer.Gradient is not null ? m.GradientView("dskip", r, "skip", "outF") : "";
            string da = m.GradientView("da", d.Output, "a", "outF");
            bool readsA = d.Activation.Kind != ActivationKind.Identity;
            string a = readsA ? m.View("a", d.Output, "a", "outF") : "default";
            string z = d.DerivativeFromOutput ? a : d.PreActivation is null ? "default" : m.Saved("z", "outF", d.PreActivation);
            string x = m.View("x", d.Input, "x", "inF");
            string w = m.Parameter("w", d.Weight);
            string b = d.Bias is null ? "" : m.Parameter("b", d.Bias);
            m.Size("inF", d.Input.Width);
            m.Size("outF", d.Output.Width);
            // One line of outputs (gradients), one of inputs and sizes.
            string dxArguments = d.HasDx ? $"dx: {dx}, lddx: {m.Ld(d.Input, "x", "inF")}, accumulateDx: {m.Flag("accumulateDx", d.AccumulateDx)}" : "dx: default, lddx: 0, accumulateDx: false";
            m.Line($"{Kernels}.Dense.Backward<T, TAct>({dxArguments}, dw: WeightGradients({w}, outF * inF), db: {(d.Bias is null ? "default" : $"WeightGradients({b}, outF)")}, accumulateDw: {m.PassedFlag("accumulateGradients")}, dz: Scratch(B * outF),{(d.HasDx ? "" : " // x is the network's input: no dx")}");
            m.Line($"    da: {da}, ldda: {m.Ld(d.Output, "a", "outF")}, z: {z}, a: {a}, lda: {m.Ld(d.Output, "a", "outF")}, x: {x}, ldx: {m.Ld(d.Input, "x", "inF")}, w: Weights({w}, outF * inF), batch: B, inFeatures: inF, outFeatures: outF, act: {m.Activation(d.Activation)});");
            if (dskip.Length > 0)
            {
                m.Line("// the skip carries dz past the block unchanged");
                m.Line($"{Kernels}.Elementwise.Copy<T>({dskip}, {m.Ld(d.Residual!, "skip", "outF")}, Scratch(B * outF), outF, B, outF, accumulate: {m.Flag("accumulateDskip", d.AccumulateDskip)});");
            }
            RecordGradients(m, d, "outF");
            m.ReturnFinite($"{Kernels}.Dense.Backward");
            string reads = d.Activation.Kind == ActivationKind.Identity ? "Linear" : d.DerivativeFromOutput ? "ReadingA" : "ReadingZ";
            return Backward.Call(d, DenseKind(d) + reads + (d.HasDx ? "" : "FromInput"), "_Backward", header, m, returnsFinite: true);
        }

        // How the backward of a layer that keeps no pre-activation gets act′ from its output.
        private static string DerivativeFromOutput(ActivationKind kind) => kind switch
        {
            ActivationKind.Sigmoid => "act′ = a·(1 − a), from a",
            ActivationKind.Tanh => "act′ = 1 − a², from a",
            _ => "act′, read off a (ReLU-like: a > 0 exactly when z > 0)",
        };

        // ---- LayerNorm

        private LineStmt LayerNormForward(LayerNormOp n)
        {
            var header = new[] { "// ---- x (B, width) → y = (x − mean)·rstd·γ + β (B, width), keeping mean and rstd (B)" };
            var m = new MethodBody();
            string y = m.View("y", n.Output, "y", "width");
            string mean = m.Saved("mean", "1", n.Mean), rstd = m.Saved("rstd", "1", n.Rstd);
            string x = m.View("x", n.Input, "x", "width");
            string gamma = m.Parameter("gamma", n.Gamma), beta = m.Parameter("beta", n.Beta);
            m.Size("width", n.Input.Width);
            m.Line($"{Kernels}.LayerNorm.Forward<T>(y: {y}, ldy: {m.Ld(n.Output, "y", "width")}, mean: {mean}, rstd: {rstd},");
            m.Line($"    x: {x}, ldx: {m.Ld(n.Input, "x", "width")}, gamma: Weights({gamma}, width), beta: Weights({beta}, width), batch: B, width: width, epsilon: T.CreateTruncating({Literal(n.Epsilon)}));");
            RecordActivations(m, n, "width");
            return Forward.Call(n, KindName("LayerNorm", false, n.Output, n.Input), "_Forward", header, m, From(n));
        }

        private LineStmt LayerNormBackward(LayerNormOp n)
        {
            var header = new[] { $"// in the forward pass this was: y = (x − mean)·rstd·γ + β; dγ, dβ += … (= without accumulateGradients){(n.HasDx ? "; dx = … (+= with accumulateDx)" : "")}" };
            var m = new MethodBody();
            string dx = n.HasDx ? m.GradientView("dx", n.Input, "x", "width") : "";
            string dy = m.GradientView("dy", n.Output, "y", "width");
            string x = m.View("x", n.Input, "x", "width");
            string mean = m.Saved("mean", "1", n.Mean), rstd = m.Saved("rstd", "1", n.Rstd);
            string gamma = m.Parameter("gamma", n.Gamma), beta = m.Parameter("beta", n.Beta);
            m.Size("width", n.Input.Width);
            string dxArguments = n.HasDx ? $"dx: {dx}, lddx: {m.Ld(n.Input, "x", "width")}, accumulateDx: {m.Flag("accumulateDx", n.AccumulateDx)}" : "dx: default, lddx: 0, accumulateDx: false";
            m.Line($"{Kernels}.LayerNorm.Backward<T>({dxArguments}, dgamma: WeightGradients({gamma}, width), dbeta: WeightGradients({beta}, width), accumulateParameters: {m.PassedFlag("accumulateGradients")},{(n.HasDx ? "" : " // x is the network's input: no dx")}");
            m.Line($"    dy: {dy}, lddy: {m.Ld(n.Output, "y", "width")}, x: {x}, ldx: {m.Ld(n.Input, "x", "width")}, mean: {mean}, rstd: {rstd}, gamma: Weights({gamma}, width), batch: B, width: width);");
            RecordGradients(m, n, "width");
            m.ReturnFinite($"{Kernels}.LayerNorm.Backward");
            return Backward.Call(n, KindName("LayerNorm", false, n.Output, n.Input) + (n.HasDx ? "" : "FromInput"), "_Backward", header, m, returnsFinite: true);
        }

        // ---- Activate and residual add

        private static string ActivateKind(ActivateOp op) =>
            KindName(op.Residual is null ? "Activate" : "ResidualAdd", false, op.Output, op.Input, op.Residual);

        private LineStmt ActivateForward(ActivateOp op)
        {
            string applied = op.Residual is null ? "act(x)" : "act(x + skip)";
            var header = new[] { $"// ---- x (B, width){(op.Residual is null ? "" : ", skip (B, width)")} → a = {applied} (B, width)" };
            var m = new MethodBody();
            string a = m.View("a", op.Output, "a", "width");
            string z = op.PreActivation is null ? "default" : m.Saved("z", "width", op.PreActivation);
            string x = m.View("x", op.Input, "x", "width");
            string skip = op.Residual is null ? "default" : m.View("skip", op.Residual, "skip", "width");
            m.Size("width", op.Input.Width);
            m.Line($"{Kernels}.Elementwise.Activate<T, TAct>(a: {a}, lda: {m.Ld(op.Output, "a", "width")}, z: {z},");
            m.Line($"    x: {x}, ldx: {m.Ld(op.Input, "x", "width")}, r: {skip}, ldr: {(op.Residual is null ? "0" : m.Ld(op.Residual, "skip", "width"))}, batch: B, width: width, act: {m.Activation(op.Activation)});");
            RecordActivations(m, op, "width");
            return Forward.Call(op, ActivateKind(op) + (op.PreActivation is null ? "" : "KeepingZ"), "_Forward", header, m, From(op));
        }

        private LineStmt ActivateBackward(ActivateOp op)
        {
            var header = new[] { $"// in the forward pass this was: a = {(op.Residual is null ? "act(x)" : "act(x + skip)")}; dz = da ⊙ act′(z), z = {(op.Residual is null ? "x" : "x + skip")}" };
            var m = new MethodBody();
            string dx = op.HasDx ? m.GradientView("dx", op.Input, "x", "width") : "";
            string dskip = op.Residual is { } r && r.Buffer.Gradient is not null ? m.GradientView("dskip", r, "skip", "width") : "";
            string da = m.GradientView("da", op.Output, "a", "width");
            // without a residual the pre-activation is x itself
            string z = op.PreActivation is not null ? $"{m.Saved("z", "width", op.PreActivation)}, ldz: width" : $"{m.View("x", op.Input, "x", "width")}, ldz: {m.Ld(op.Input, "x", "width")}";
            string a = m.View("a", op.Output, "a", "width");
            m.Size("width", op.Input.Width);
            string scratch = "Scratch(B * width)";
            m.Line($"{Kernels}.Elementwise.ActivateBackward<T, TAct>(dz: {scratch},");
            m.Line($"    da: {da}, ldda: {m.Ld(op.Output, "a", "width")}, z: {z}, a: {a}, lda: {m.Ld(op.Output, "a", "width")}, batch: B, width: width, act: {m.Activation(op.Activation)});");
            if (dx.Length > 0)
                m.Line($"{Kernels}.Elementwise.Copy<T>({dx}, {m.Ld(op.Input, "x", "width")}, {scratch}, width, B, width, accumulate: {m.Flag("accumulateDx", op.AccumulateDx)}); // dx = dz (+= with accumulateDx)");
            if (dskip.Length > 0)
                m.Line($"{Kernels}.Elementwise.Copy<T>({dskip}, {m.Ld(op.Residual!, "skip", "width")}, {scratch}, width, B, width, accumulate: {m.Flag("accumulateDskip", op.AccumulateDskip)}); // dskip = dz (+= with accumulateDskip)");
            RecordGradients(m, op, "width");
            return Backward.Call(op, ActivateKind(op) + (op.HasDx ? "" : "FromInput"), "_Backward", header, m);
        }

        // ---- Copy (a dense block's input)

        private LineStmt CopyForward(CopyOp c)
        {
            var header = new[] { "// ---- a dense block reads its input from its concatenation buffer: copy x (B, width) there" };
            var m = new MethodBody();
            string a = m.View("a", c.Output, "a", "width");
            string x = m.View("x", c.Input, "x", "width");
            m.Size("width", c.Input.Width);
            m.Line($"{Kernels}.Elementwise.Copy<T>({a}, {m.Ld(c.Output, "a", "width")}, {x}, {m.Ld(c.Input, "x", "width")}, B, width, accumulate: false);");
            RecordActivations(m, c, "width");
            return Forward.Call(c, KindName("Copy", false, c.Output, c.Input), "_Forward", header, m, From(c));
        }

        private LineStmt CopyBackward(CopyOp c)
        {
            var header = new[] { $"// in the forward pass this was: a = x{(c.HasDx ? "; dx = da (+= with accumulateDx)" : "")}" };
            var m = new MethodBody();
            if (c.HasDx)
            {
                string dx = m.GradientView("dx", c.Input, "x", "width");
                string da = m.GradientView("da", c.Output, "a", "width");
                m.Size("width", c.Input.Width);
                m.Line($"{Kernels}.Elementwise.Copy<T>({dx}, {m.Ld(c.Input, "x", "width")}, {da}, {m.Ld(c.Output, "a", "width")}, B, width, accumulate: {m.Flag("accumulateDx", c.AccumulateDx)});");
            }
            else
            {
                m.Line("// the input is the network's: no gradient needed");
            }
            RecordGradients(m, c, "width");
            return Backward.Call(c, KindName("Copy", false, c.Output, c.Input) + (c.HasDx ? "" : "FromInput"), "_Backward", header, m);
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
        private void RecordActivations(MethodBody m, OpPlan op, string width)
        {
            if (!statistics) return;
            m.LayerIndex(op);
            string role = op is LayerNormOp ? "y" : "a";
            string view = ViewParameterName(m, op.Output, gradient: false);
            m.Line($"if (monitor.IsSampling) monitor.RecordActivations<T>(layer, {m.Span(view, op.Output, role, width)}, B, {width}, {m.Ld(op.Output, role, width)});");
        }

        /// <summary>With statistics compiled in: the gradient at the layer's output, complete when its backward starts.</summary>
        private void RecordGradients(MethodBody m, OpPlan op, string width)
        {
            if (!statistics) return;
            m.LayerIndex(op);
            string role = op is LayerNormOp ? "y" : "a";
            string view = ViewParameterName(m, op.Output, gradient: true);
            if (!m.Parameters.Any(p => p.Name == width)) m.Size(width, op.Output.Width); // a backward that propagates nothing
            m.Lines.Insert(0, $"if (monitor.IsSampling) monitor.RecordGradients<T>(layer, {m.Span(view, op.Output, role, width)}, B, {width}, {m.Ld(op.Output, role, width)});");
        }

        /// <summary>The name of the method parameter that already holds the output's offset.</summary>
        private static string ViewParameterName(MethodBody m, ViewPlan v, bool gradient)
        {
            // A dense block's input and output views share a buffer: the output's is the first view of it that a forward
            // takes ("a") and the last gradient view that a backward takes ("da").
            int offset = gradient ? v.Buffer.Gradient!.Offset : v.Buffer.Offset;
            var matches = m.Parameters.Where(p => p.Offset is { Kind: SlotKind.Buffer } e && e.Value == offset).Select(p => p.Name).ToList();
            if (matches.Count > 0) return gradient ? matches[matches.Count - 1] : matches[0];
            // (only a backward that propagates nothing, a dense block's copy of the network's input, lacks it)
            string added = gradient ? "da" : "a";
            m.Parameters.Add(new Argument(added, "int", Expr.Of(SlotKind.Buffer, offset), null));
            return added;
        }
    }

    // ---------------------------------------------------------------- names and literals

    private static string Assign(bool accumulate) => accumulate ? "+=" : "=";

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
