using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using GradGen.Generators.Model;

namespace GradGen.Generators;

// Repeats as loops. Every pass over the network (the forward calls, the backward calls, the initialisers, the table of
// parameters) is a list of lines, one or two per op, whose only differences between the repetitions of a [Repeat] are
// offsets. Each repetition is compiled to its lines; consecutive repetitions whose lines are the same text and whose
// offsets advance by the same stride become one loop, `for (int r = 0; r < n; r++)`, with each offset written as
// "offset in the first repetition + r · stride". The first or last repetition can differ (its input comes from before
// the block, or its output is written into a following dense block): it is written out on its own, and the rest still
// loops. Generated size therefore depends on what is declared, not on the repeat counts.

internal static partial class Emitter
{
    /// <summary>What an offset is: a buffer's per-sample offset (written as its S_ constant), a parameter's offset
    /// (its P_ constant) or a plain number (a layer index in a parameter name).</summary>
    internal enum SlotKind { Buffer, Parameter, Number }

    /// <summary>An int that generated code computes: a value in the first repetition plus loop counters times strides.</summary>
    internal sealed record Expr(SlotKind Kind, int Value, IReadOnlyList<(string Var, int Stride)> Terms)
    {
        public static Expr Of(SlotKind kind, int value) => new(kind, value, Array.Empty<(string, int)>());
    }

    internal abstract record Stmt;

    /// <summary>A line with holes: ⟦0⟧, ⟦1⟧, … are code expressions; <see cref="Name"/> is a parameter's name whose
    /// numeric parts are holes too, written into the line where the template says ⟦name⟧.</summary>
    internal sealed record LineStmt(string Template, IReadOnlyList<Expr> Args, NamePattern? Name = null) : Stmt;

    /// <summary>A parameter name with its numeric components as holes: "⟦0⟧.fc1.weight", with the arg index of hole 0.</summary>
    internal sealed record NamePattern(string Pattern, IReadOnlyList<int> Holes);

    internal sealed record LoopStmt(string Var, int Count, bool Descending, string Comment, IReadOnlyList<Stmt> Body) : Stmt;

    /// <summary>Builds a line for a parameter name: numeric components ("3" in "3.fc1.weight") become holes appended
    /// to <paramref name="args"/>, so that a loop can compute them.</summary>
    internal static NamePattern NameWithHoles(string name, List<Expr> args)
    {
        var parts = name.Split('.');
        var holes = new List<int>();
        for (int i = 0; i < parts.Length; i++)
        {
            string p = parts[i];
            if (p.Length > 0 && p.Length < 10 && p.All(char.IsDigit) && (p == "0" || p[0] != '0'))
            {
                holes.Add(args.Count);
                args.Add(Expr.Of(SlotKind.Number, int.Parse(p, CultureInfo.InvariantCulture)));
                parts[i] = Hole(holes.Count - 1);
            }
        }
        return new NamePattern(string.Join(".", parts), holes);
    }

    /// <summary>Compiles a schedule into statements, with each [Repeat] as loops. <paramref name="reverse"/> walks it
    /// backwards (the backward pass), with loops counting down.</summary>
    internal static List<Stmt> Compile(IReadOnlyList<ScheduleNode> nodes, Func<int, IEnumerable<LineStmt>> linesOfOp, bool reverse, int depth = 0)
    {
        var result = new List<Stmt>();
        var ordered = reverse ? nodes.Reverse() : nodes;
        foreach (var node in ordered)
        {
            if (node is OpNode op)
            {
                result.AddRange(linesOfOp(op.Op));
                continue;
            }
            var repeat = (RepeatNode)node;
            var reps = repeat.Repetitions.Select(r => Compile(r, linesOfOp, reverse, depth + 1)).ToList();
            var runs = FindRuns(reps);
            if (reverse) runs.Reverse();
            string var = LoopVariable(depth);
            int n = reps.Count;
            foreach (var (start, count, stride) in runs)
            {
                if (reps[start].Count == 0) continue;
                if (count == 1)
                {
                    result.AddRange(reps[start]);
                    continue;
                }
                string which = count == n
                    ? $"all {n} repetitions, {var} = 0 … {n - 1}"
                    : $"repetitions {start + 1} to {start + count} of {n}, {var} = 0 … {count - 1} for repetition {var} + {start + 1}";
                string comment = $"[{repeat.Source}]: {which}{(reverse ? ", last first" : "")}";
                result.Add(new LoopStmt(var, count, reverse, comment, AddTerms(reps[start], var, stride!)));
            }
        }
        return result;
    }

    private static string LoopVariable(int depth) => depth switch { 0 => "r", 1 => "s", 2 => "t", _ => "r" + depth.ToString(CultureInfo.InvariantCulture) };

    /// <summary>Maximal runs of repetitions with the same lines and offsets in arithmetic progression.</summary>
    private static List<(int Start, int Count, int[]? Stride)> FindRuns(List<List<Stmt>> reps)
    {
        var shapes = reps.Select(Shape).ToList();
        var values = reps.Select(Values).ToList();
        var runs = new List<(int, int, int[]?)>();
        int i = 0;
        while (i < reps.Count)
        {
            int j = i + 1;
            int[]? stride = null;
            if (j < reps.Count && shapes[j] == shapes[i])
            {
                stride = Difference(values[j], values[i]);
                j++;
                while (j < reps.Count && shapes[j] == shapes[i] && Difference(values[j], values[j - 1]).SequenceEqual(stride)) j++;
            }
            runs.Add((i, j - i, stride));
            i = j;
        }
        return runs;
    }

    private static int[] Difference(int[] a, int[] b)
    {
        var d = new int[a.Length];
        for (int k = 0; k < a.Length; k++) d[k] = a[k] - b[k];
        return d;
    }

    /// <summary>Everything about statements but their offsets: equal shapes differ only in offsets.</summary>
    private static string Shape(List<Stmt> stmts)
    {
        var s = new StringBuilder();
        AppendShape(s, stmts);
        return s.ToString();
    }

    private static void AppendShape(StringBuilder s, IReadOnlyList<Stmt> stmts)
    {
        foreach (var stmt in stmts)
        {
            if (stmt is LineStmt line)
            {
                s.Append(line.Template).Append('|').Append(line.Name?.Pattern);
                foreach (var arg in line.Args)
                {
                    s.Append('|').Append((int)arg.Kind);
                    foreach (var (v, k) in arg.Terms) s.Append(v).Append('*').Append(k);
                }
                s.Append('\n');
            }
            else
            {
                var loop = (LoopStmt)stmt;
                s.Append("for ").Append(loop.Var).Append(' ').Append(loop.Count).Append(loop.Descending).Append(loop.Comment).Append("{\n");
                AppendShape(s, loop.Body);
                s.Append("}\n");
            }
        }
    }

    private static int[] Values(List<Stmt> stmts)
    {
        var values = new List<int>();
        Visit(stmts, e => { values.Add(e.Value); return e; });
        return values.ToArray();
    }

    private static List<Stmt> AddTerms(List<Stmt> stmts, string var, int[] stride)
    {
        int k = 0;
        return Visit(stmts, e =>
        {
            int d = stride[k++];
            return d == 0 ? e : e with { Terms = e.Terms.Concat(new[] { (var, d) }).ToArray() };
        });
    }

    /// <summary>Maps every expression, in the same order for every statement list of the same shape.</summary>
    private static List<Stmt> Visit(IReadOnlyList<Stmt> stmts, Func<Expr, Expr> map) =>
        stmts.Select(stmt => stmt switch
        {
            LineStmt line => (Stmt)(line with { Args = line.Args.Select(map).ToArray() }),
            LoopStmt loop => loop with { Body = Visit(loop.Body, map) },
            _ => stmt,
        }).ToList();

    /// <summary>Writes compiled statements; <paramref name="symbol"/> names an expression's base value.</summary>
    internal static void WriteStatements(CodeWriter w, IReadOnlyList<Stmt> stmts, Func<Expr, string> symbol)
    {
        foreach (var stmt in stmts)
        {
            if (stmt is LoopStmt loop)
            {
                w.Line("// " + loop.Comment);
                string header = loop.Descending
                    ? $"for (int {loop.Var} = {loop.Count - 1}; {loop.Var} >= 0; {loop.Var}--)"
                    : $"for (int {loop.Var} = 0; {loop.Var} < {loop.Count}; {loop.Var}++)";
                using (w.Block(header)) WriteStatements(w, loop.Body, symbol);
                continue;
            }
            var line = (LineStmt)stmt;
            var rendered = line.Args.Select(a => Render(a, symbol)).ToArray();
            string text = Fill(line.Template, k => rendered[k]);
            if (line.Name is { } name) text = text.Replace("⟦name⟧", RenderName(name, line.Args, rendered));
            w.Line(text);
        }
    }

    private static string Render(Expr e, Func<Expr, string> symbol)
    {
        // A layer index that starts at 0 is the loop counter itself: "r", not "0 + r".
        bool bare = e.Kind == SlotKind.Number && e.Value == 0 && e.Terms.Count > 0 && e.Terms[0].Stride == 1;
        var s = new StringBuilder(bare ? e.Terms[0].Var : symbol(e));
        foreach (var (var, stride) in bare ? e.Terms.Skip(1) : e.Terms)
        {
            s.Append(stride < 0 ? " - " : " + ").Append(var);
            int magnitude = Math.Abs(stride);
            if (magnitude != 1) s.Append(" * ").Append(magnitude.ToString(CultureInfo.InvariantCulture));
        }
        return s.ToString();
    }

    /// <summary>"3.fc1.weight" when every numeric part is fixed; $"{1 + r}.fc1.weight" inside a loop.</summary>
    private static string RenderName(NamePattern name, IReadOnlyList<Expr> args, string[] rendered)
    {
        bool varies = name.Holes.Any(h => args[h].Terms.Count > 0);
        string pattern = varies ? name.Pattern.Replace("{", "{{").Replace("}", "}}") : name.Pattern;
        string text = Fill(pattern, i => args[name.Holes[i]].Terms.Count > 0 ? "{" + rendered[name.Holes[i]] + "}" : rendered[name.Holes[i]]);
        return (varies ? "$\"" : "\"") + text + "\"";
    }

    internal static string Hole(int index) => "⟦" + index.ToString(CultureInfo.InvariantCulture) + "⟧";

    /// <summary>Replaces each hole ⟦k⟧ of <paramref name="template"/> with <paramref name="value"/>(k).</summary>
    private static string Fill(string template, Func<int, string> value)
    {
        var s = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            int open = template.IndexOf('⟦', i);
            int close = open < 0 ? -1 : template.IndexOf('⟧', open);
            if (open < 0 || close < 0 || !int.TryParse(template.Substring(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int k))
            {
                if (open < 0 || close < 0) { s.Append(template, i, template.Length - i); break; }
                s.Append(template, i, close + 1 - i); // not a numbered hole (⟦name⟧): leave it
                i = close + 1;
                continue;
            }
            s.Append(template, i, open - i).Append(value(k));
            i = close + 1;
        }
        return s.ToString();
    }
}
