using System.Buffers;
using System.Text;
using System.Text.Json;
using GradGen.Monitoring;

namespace GradGen.Dashboard;

/// <summary>The records the dashboard's page reads and <c>--log</c> writes, one JSON object per line: a <c>run</c>
/// record describing a network, then its <c>step</c>, <c>epoch</c> and <c>findings</c> records. Every record names its
/// run, so one stream can carry several networks. docs/dashboard.md documents each field; a change to a field's meaning
/// or a removed field raises <see cref="Version"/>, an added field does not.</summary>
public static class DashboardSchema
{
    /// <summary>The value of the run record's <c>schema</c> field.</summary>
    public const string Name = "gradgen-dashboard";

    /// <summary>The value of the run record's <c>version</c> field.</summary>
    public const int Version = 1;

    /// <summary>The GG1xxx thresholds, relative to the last weight matrix's gradient norm: the norm curves draw them.</summary>
    public const double VanishingRatio = 1e-3, ExplodingRatio = 1e3;

    /// <summary>The run record: the network's layers and parameter tensors, and how its steps are sampled.</summary>
    public static string Run(string run, string title, NetworkMonitor monitor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "run");
            w.WriteString("schema", Name);
            w.WriteNumber("version", Version);
            w.WriteString("run", run);
            w.WriteString("title", title);
            w.WriteNumber("sampleEvery", monitor.SampleEvery);
            w.WriteStartObject("histogram");
            w.WriteNumber("minExponent", GradientHistogram.MinExponent);
            w.WriteNumber("maxExponent", GradientHistogram.MaxExponent);
            w.WriteEndObject();
            w.WriteStartObject("thresholds");
            w.WriteNumber("vanishing", VanishingRatio);
            w.WriteNumber("exploding", ExplodingRatio);
            w.WriteEndObject();
            var parameterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int p = 0; p < monitor.Parameters.Count; p++) parameterIndex[monitor.Parameters[p].Name] = p;
            w.WriteStartArray("layers");
            foreach (var layer in monitor.Layers)
            {
                w.WriteStartObject();
                w.WriteNumber("index", layer.Index);
                w.WriteString("name", layer.Name);
                w.WriteString("kind", layer.Kind);
                w.WriteString("source", layer.Source);
                w.WriteNumber("width", layer.Width);
                w.WriteString("activation", layer.Activation.ToString());
                w.WriteBoolean("saturates", layer.Saturation != Saturation.None);
                w.WriteStartArray("parameters");
                foreach (string name in layer.Parameters)
                    if (parameterIndex.TryGetValue(name, out int p)) w.WriteNumberValue(p);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("parameters");
            foreach (var parameter in monitor.Parameters) w.WriteStringValue(parameter.Name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes a step record: the sampled step's loss and, per layer, its output gradient's statistics and
    /// (with <paramref name="histograms"/>) histogram and its output's statistics; per parameter tensor, its norms and
    /// update ratio. NaN and infinities are written as null (JSON has no NaN).</summary>
    internal static void WriteStep(Utf8JsonWriter w, string run, StepSample s, bool histograms)
    {
        w.WriteStartObject();
        w.WriteString("type", "step");
        w.WriteString("run", run);
        w.WriteNumber("step", s.Step);
        Number(w, "loss", s.Loss);
        w.WriteStartArray("layers");
        for (int i = 0; i < s.Gradients.Length; i++)
        {
            var g = s.Gradients[i];
            var a = s.Activations[i];
            w.WriteStartObject();
            w.WriteStartObject("grad");
            Number(w, "mean", g.Mean);
            Number(w, "std", g.Std);
            Number(w, "l2", g.L2Norm);
            Number(w, "maxAbs", g.MaxAbs);
            w.WriteEndObject();
            w.WriteStartObject("act");
            Number(w, "mean", a.Mean);
            Number(w, "std", a.Std);
            Number(w, "min", a.Min);
            Number(w, "max", a.Max);
            Number(w, "dead", a.ZeroFraction);
            Number(w, "saturated", a.SaturatedFraction);
            w.WriteEndObject();
            if (histograms) WriteHistogram(w, s.Histograms.AsSpan(i * GradientHistogram.Length, GradientHistogram.Length));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("parameters");
        foreach (var p in s.Parameters)
        {
            w.WriteStartObject();
            Number(w, "gradNorm", p.GradientNorm);
            Number(w, "weightNorm", p.WeightNorm);
            Number(w, "updateRatio", p.UpdateRatio);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>"hist": {"zeros": n, "first": k, "counts": [...]}: the counts of bins k, k+1, … up to the last non-empty
    /// bin, so that a gradient spanning a few decades costs a few dozen numbers; no counts at all is written as null.</summary>
    private static void WriteHistogram(Utf8JsonWriter w, ReadOnlySpan<long> counts)
    {
        var bins = counts[1..];
        int first = bins.IndexOfAnyExcept(0L), last = bins.LastIndexOfAnyExcept(0L);
        if (first < 0 && counts[0] == 0)
        {
            w.WriteNull("hist");
            return;
        }
        w.WriteStartObject("hist");
        w.WriteNumber("zeros", counts[0]);
        w.WriteNumber("first", Math.Max(first, 0));
        w.WriteStartArray("counts");
        if (first >= 0)
            foreach (long c in bins[first..(last + 1)]) w.WriteNumberValue(c);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A step record without its histograms, which only the latest step needs: what the store keeps.</summary>
    internal static string WithoutHistograms(string step)
    {
        var record = System.Text.Json.Nodes.JsonNode.Parse(step)!.AsObject();
        if (record["layers"] is System.Text.Json.Nodes.JsonArray layers)
            foreach (var layer in layers) layer?.AsObject().Remove("hist");
        return record.ToJsonString();
    }

    /// <summary>An epoch record: the training loss and accuracy of the epoch and, when there was an evaluation, its
    /// loss and accuracy on the named set.</summary>
    public static string Epoch(string run, int epoch, long step, double trainLoss, double trainAccuracy,
        string? evaluationName = null, double evaluationLoss = double.NaN, double evaluationAccuracy = double.NaN)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "epoch");
            w.WriteString("run", run);
            w.WriteNumber("epoch", epoch);
            w.WriteNumber("step", step);
            Number(w, "trainLoss", trainLoss);
            Number(w, "trainAccuracy", trainAccuracy);
            if (evaluationName is not null)
            {
                w.WriteString("evalName", evaluationName);
                Number(w, "evalLoss", evaluationLoss);
                Number(w, "evalAccuracy", evaluationAccuracy);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A findings record: the complete current list (it replaces the previous one).</summary>
    public static string Findings(string run, long step, IReadOnlyList<DashboardFinding> findings)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "findings");
            w.WriteString("run", run);
            w.WriteNumber("step", step);
            w.WriteStartArray("findings");
            foreach (var f in findings)
            {
                w.WriteStartObject();
                w.WriteString("severity", f.Severity);
                w.WriteString("code", f.Code);
                if (f.Layer is null) w.WriteNull("layer"); else w.WriteString("layer", f.Layer);
                w.WriteString("message", f.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}

/// <summary>One finding of a diagnostic tool (the gradient doctor) for the dashboard's findings panel.</summary>
/// <param name="Severity">"info", "warning" or "error".</param>
/// <param name="Code">A short identifier of the kind of finding, such as "vanishing-gradient".</param>
/// <param name="Layer">The layer's name as in the run record, or null for the whole network.</param>
/// <param name="Message">One sentence for a person.</param>
public sealed record DashboardFinding(string Severity, string Code, string? Layer, string Message);
