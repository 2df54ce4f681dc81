using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GradGen.Diagnostics;

/// <summary>How serious a finding is. A network is healthy when no finding is above <see cref="Info"/>.</summary>
public enum Severity
{
    /// <summary>A number worth reading, not a problem by itself.</summary>
    Info,
    /// <summary>A problem that hampers training.</summary>
    Warning,
    /// <summary>Training cannot proceed (a NaN or ±∞).</summary>
    Error,
}

/// <summary>What the doctor found. docs/doctor.md explains each, with its formula.</summary>
public enum FindingKind
{
    /// <summary>A NaN or ±∞ in a parameter, the input, a layer's output, the loss or a gradient; names the first layer.</summary>
    NonFinite,
    /// <summary>A weight gradient below <see cref="DoctorOptions.VanishingNorm"/>, or the first/last ratio below
    /// <see cref="DoctorOptions.VanishingRatio"/>.</summary>
    Vanishing,
    /// <summary>A weight gradient above <see cref="DoctorOptions.ExplodingNorm"/>, or the first/last ratio above
    /// <see cref="DoctorOptions.ExplodingRatio"/>.</summary>
    Exploding,
    /// <summary>A parameter whose gradient is exactly zero: frozen, unused, or behind dead units or zero weights.</summary>
    NoGradient,
    /// <summary>A ReLU layer with more than <see cref="DoctorOptions.DeadFraction"/> of its units never positive.</summary>
    DeadReLU,
    /// <summary>A sigmoid or tanh layer with more than <see cref="DoctorOptions.SaturatedFraction"/> of its outputs saturated.</summary>
    Saturated,
    /// <summary>The measured ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖ (always reported, as Info).</summary>
    GradientRatio,
    /// <summary>A weight matrix whose measured relative gradient scale is more than <see cref="DoctorOptions.ForecastFactor"/>
    /// from the build-time forecast.</summary>
    ForecastMismatch,
    /// <summary>Something the doctor could not check, and why.</summary>
    NotChecked,
    /// <summary>A softmax cross-entropy loss above <see cref="DoctorOptions.LossFactor"/> times ln C, the loss of
    /// uniform predictions over the network's C classes: large, confidently wrong logits (at initialisation, or a
    /// diverging run).</summary>
    LargeLoss,
}

/// <summary>One finding: its kind and severity, the layer (or parameter) it is about, a sentence with its numbers,
/// the measured <see cref="Value"/> and what it was compared with, <see cref="Reference"/> (the threshold crossed, or
/// for <see cref="FindingKind.ForecastMismatch"/> the forecast). Either number is NaN where it does not apply.</summary>
public sealed record Finding(FindingKind Kind, Severity Severity, string Layer, string Message, double Value, double Reference);

/// <summary>One layer's numbers in a diagnosis. NaN where a number does not apply or was not measured.</summary>
/// <param name="Name">The layer's module name ("0", "3.fc1"), or its kind and index for a layer without parameters.</param>
/// <param name="Kind">"Dense", "LayerNorm", "Activate", "ResidualAdd", "Copy"; "Dense" for every weight matrix of a
/// network without a layer table.</param>
/// <param name="Activation">The activation on its output; null when the network has no layer table.</param>
/// <param name="Weight">Its weight matrix's parameter name, or null.</param>
/// <param name="GradientNorm">‖∂L/∂W‖ of <see cref="Weight"/>.</param>
/// <param name="RelativeGradient">‖∂L/∂W‖ / ‖∂L/∂W_last‖, W_last the network's last weight matrix.</param>
/// <param name="ForecastRelativeGradient">The same ratio as the build-time forecast puts it.</param>
/// <param name="OutputGradientNorm">‖∂L/∂output‖ of the layer over the batch.</param>
/// <param name="DeadFraction">For ReLU: the share of units never positive over the batch.</param>
/// <param name="SaturatedFraction">For sigmoid and tanh: the share of outputs where the activation saturates.</param>
public sealed record LayerDiagnosis(string Name, string Kind, string? Activation, string? Weight, double GradientNorm, double RelativeGradient,
    double ForecastRelativeGradient, double OutputGradientNorm, double DeadFraction, double SaturatedFraction);

/// <summary>What <see cref="GradientDoctor.Diagnose{T, TTarget}"/> measured on one batch: per layer its numbers, and
/// the findings, most severe first. <see cref="ToJson"/> and <see cref="FromJson"/> give the documented JSON document
/// (docs/doctor.md); <see cref="FormatTable"/> the console table.</summary>
/// <param name="Network">The network's class name.</param>
/// <param name="Batch">Samples in the diagnosed batch.</param>
/// <param name="Loss">The batch's mean loss.</param>
/// <param name="Source">Where the per-layer activation numbers came from: "monitor statistics" (compiled-in
/// statistics), "layer outputs" (a layer table without statistics) or "parameters only" (no instrumentation).</param>
/// <param name="GradientRatio">Measured ‖∂L/∂W_first‖ / ‖∂L/∂W_last‖.</param>
/// <param name="ForecastGradientRatio">The forecast of the same ratio; NaN without a forecast.</param>
public sealed record Diagnosis(string Network, int Batch, double Loss, string Source, double GradientRatio, double ForecastGradientRatio,
    IReadOnlyList<LayerDiagnosis> Layers, IReadOnlyList<Finding> Findings)
{
    /// <summary>No finding above <see cref="Severity.Info"/>.</summary>
    [JsonIgnore]
    public bool IsHealthy => Findings.All(f => f.Severity == Severity.Info);

    /// <summary>The findings of <paramref name="kind"/>.</summary>
    public IEnumerable<Finding> Of(FindingKind kind) => Findings.Where(f => f.Kind == kind);

    // Enums as their names, camelCase properties, and NaN/±∞ as the strings "NaN", "Infinity", "-Infinity" (JSON has
    // no literal for them, and a diagnosis is made of them).
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The diagnosis as JSON: { network, batch, loss, source, gradientRatio, forecastGradientRatio, healthy,
    /// layers: [...], findings: [...] }, each layer and finding with its record's properties in camelCase.</summary>
    public string ToJson()
    {
        var node = JsonSerializer.SerializeToNode(this, s_json)!.AsObject();
        node.Insert(6, "healthy", IsHealthy); // for tools; FromJson recomputes it from the findings
        return node.ToJsonString(s_json);
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote. Throws <see cref="JsonException"/> naming the defect.</summary>
    public static Diagnosis FromJson(string json)
    {
        var diagnosis = JsonSerializer.Deserialize<Diagnosis>(json, s_json) ?? throw new JsonException("the document is null, not a diagnosis");
        if (diagnosis.Network is null || diagnosis.Layers is null || diagnosis.Findings is null)
            throw new JsonException("a diagnosis needs network, layers and findings");
        return diagnosis;
    }

    /// <summary>The diagnosis as plain aligned text: a header, one row per layer, then the findings.</summary>
    public string FormatTable()
    {
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(ci, $"{Network}: batch {Batch}, loss {Loss:G5}, {Source}; {(IsHealthy ? "healthy" : $"{Findings.Count(f => f.Severity != Severity.Info)} problem(s)")}");
        s.AppendLine(ci, $"{"layer",-16} {"kind",-10} {"activation",-10} {"‖∂L/∂W‖",10} {"relative",10} {"forecast",10} {"‖∂L/∂out‖",10} {"dead",6} {"sat",6}");
        foreach (var l in Layers)
        {
            s.AppendLine(ci, $"{Truncate(l.Name, 16),-16} {Truncate(l.Kind, 10),-10} {l.Activation ?? "?",-10} {Number(l.GradientNorm),10} {Number(l.RelativeGradient),10} " +
                $"{Number(l.ForecastRelativeGradient),10} {Number(l.OutputGradientNorm),10} {Share(l.DeadFraction),6} {Share(l.SaturatedFraction),6}");
        }
        s.AppendLine(ci, $"first/last weight-gradient ratio {Number(GradientRatio)} measured, {Number(ForecastGradientRatio)} forecast");
        foreach (var f in Findings) s.AppendLine(ci, $"{SeverityTag(f.Severity)} {f.Kind,-16} {f.Layer}: {f.Message}");
        return s.ToString();
    }

    /// <summary>The header line and the findings, without the layer table; where one kind of finding repeats on more
    /// than <paramref name="perKind"/> layers, the first ones and a count of the rest. For long networks.</summary>
    public string FormatFindings(int perKind = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perKind);
        var ci = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(ci, $"{Network}: batch {Batch}, loss {Loss:G5}, {Source}; {(IsHealthy ? "healthy" : $"{Findings.Count(f => f.Severity != Severity.Info)} problem(s)")}");
        foreach (var group in Findings.GroupBy(f => (f.Severity, f.Kind)))
        {
            var list = group.ToList();
            foreach (var f in list.Take(perKind)) s.AppendLine(ci, $"{SeverityTag(f.Severity)} {f.Kind,-16} {f.Layer}: {f.Message}");
            if (list.Count > perKind)
            {
                var rest = list.Skip(perKind).Select(f => f.Layer).ToList();
                string at = rest.Count <= 10 ? string.Join(", ", rest) : string.Join(", ", rest.Take(10)) + ", …";
                s.AppendLine(ci, $"{SeverityTag(group.Key.Severity)} {group.Key.Kind,-16} … and {rest.Count} more, at {at}");
            }
        }
        return s.ToString();
    }

    private static string SeverityTag(Severity severity) => severity switch
    {
        Severity.Error => "ERROR  ",
        Severity.Warning => "WARNING",
        _ => "info   ",
    };

    private static string Number(double x) => double.IsNaN(x) ? "-" : x.ToString("0.00E+0", CultureInfo.InvariantCulture);

    private static string Share(double x) => double.IsNaN(x) ? "" : x.ToString("P0", CultureInfo.InvariantCulture);

    private static string Truncate(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];
}
