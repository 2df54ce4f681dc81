using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using GradGen.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GradGen.Generators;

/// <summary>Symbols → <see cref="NetworkModel"/>. Shared with the analyzer, which reports the model's problems.</summary>
internal static class Parser
{
    public const string AttributeNamespace = "GradGen";
    public const string NetworkAttributeName = "GradGen.NetworkAttribute";

    private static readonly Dictionary<string, LayerKind> s_layerKinds = new()
    {
        ["DenseAttribute"] = LayerKind.Dense,
        ["LayerNormAttribute"] = LayerKind.LayerNorm,
        ["ActivateAttribute"] = LayerKind.Activate,
        ["RepeatAttribute"] = LayerKind.Repeat,
        ["EndRepeatAttribute"] = LayerKind.EndRepeat,
        ["ResidualAttribute"] = LayerKind.Residual,
        ["EndResidualAttribute"] = LayerKind.EndResidual,
        ["DenseBlockAttribute"] = LayerKind.DenseBlock,
    };

    /// <summary>The layer attributes of a network class in source order (file, then position), which is the order
    /// of the layers. The analyzer uses the same list to find the attribute a problem names.</summary>
    public static List<AttributeData> LayerAttributes(INamedTypeSymbol type) =>
        type.GetAttributes()
            .Where(a => a.AttributeClass is { } c
                        && c.ContainingNamespace?.ToDisplayString() == AttributeNamespace
                        && s_layerKinds.ContainsKey(c.Name))
            .OrderBy(a => a.ApplicationSyntaxReference?.SyntaxTree.FilePath ?? "", StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference?.Span.Start ?? 0)
            .ToList();

    /// <summary>Every problem of a declaration: the parser's, or when it has none, the planner's (unbalanced blocks,
    /// widths, duplicate names, size). The analyzer reports these; the generator plans once and skips on any.</summary>
    public static IReadOnlyList<Problem> AllProblems(NetworkModel model) =>
        model.Problems.Count > 0 ? model.Problems.ToList() : Planner.Plan(model).Problems;

    /// <summary>The GradGenInstrumentation MSBuild property ("All", "Statistics", "AnomalyDetection",
    /// "Statistics, AnomalyDetection", "None"; any case), as flags; empty or unknown words count as none.</summary>
    public static int ParseInstrumentation(string? value)
    {
        var flags = InstrumentationFlags.None;
        foreach (var word in (value ?? "").Split(new[] { ',', ';', '|', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Enum.TryParse<InstrumentationFlags>(word.Trim(), ignoreCase: true, out var flag)) flags |= flag;
            else if (word.Trim().Equals("true", StringComparison.OrdinalIgnoreCase)) flags |= InstrumentationFlags.All;
        }
        return (int)flags;
    }

    public static NetworkModel Parse(INamedTypeSymbol type, AttributeData networkAttribute, CancellationToken cancellationToken)
    {
        try
        {
            return ParseCore(type, networkAttribute, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug here must not crash the compiler's generator host (CS8785): report it as a diagnostic instead.
            var problem = new Problem(DiagnosticIds.InternalError,
                $"GradGen could not model network '{type.Name}' ({e.GetType().Name}: {e.Message}); please report this with the declaration", -1);
            return new NetworkModel(null, EquatableArray<ContainingType>.Empty, type.Name, "", 0, LossKind.None, false,
                EquatableArray<LayerModel>.Empty, new[] { problem }.ToEquatableArray());
        }
    }

    private static NetworkModel ParseCore(INamedTypeSymbol type, AttributeData networkAttribute, CancellationToken cancellationToken)
    {
        var problems = new List<Problem>();
        string name = type.Name;

        CheckClass(type, problems);

        int inputs = ArgInt(networkAttribute, "inputs", "Inputs", 0);
        if (inputs <= 0)
            problems.Add(new Problem(DiagnosticIds.NonPositiveSize, $"Network '{name}' has {inputs} inputs; the input width must be positive", -1));
        int lossValue = NamedInt(networkAttribute, "Loss", 0);
        var loss = (LossKind)lossValue;
        if (!Enum.IsDefined(typeof(LossKind), loss))
            problems.Add(new Problem(DiagnosticIds.UnknownValue, $"Network '{name}' has loss value {lossValue}, which is not a member of GradGen.Loss", -1));
        bool inferenceOnly = NamedBool(networkAttribute, "InferenceOnly", false);
        if (loss != LossKind.None && inferenceOnly)
            problems.Add(new Problem(DiagnosticIds.InvalidValue,
                $"Network '{name}' sets both Loss = Loss.{loss} and InferenceOnly = true; drop InferenceOnly to train it, or the loss to only run it forward", -1));
        if (loss == LossKind.None && !inferenceOnly)
            problems.Add(new Problem(DiagnosticIds.MissingLoss,
                $"Network '{name}' declares no loss, so it cannot be trained: set Loss on [Network] (for example Loss = Loss.SoftmaxCrossEntropy), or set InferenceOnly = true", -1));

        var layers = new List<LayerModel>();
        var attributes = LayerAttributes(type);
        for (int i = 0; i < attributes.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            layers.Add(ParseLayer(attributes[i], i, problems));
        }
        if (layers.Count == 0)
            problems.Add(new Problem(DiagnosticIds.NoLayers, $"Network '{name}' declares no layers: add at least one [Dense(units)] after [Network]", -1));

        var containing = new List<ContainingType>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            containing.Insert(0, new ContainingType(Keyword(outer), outer.Name));

        string fileName = Path.GetFileName(networkAttribute.ApplicationSyntaxReference?.SyntaxTree.FilePath ?? "");
        var model = new NetworkModel(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            containing.ToEquatableArray(),
            name,
            fileName,
            inputs,
            loss,
            inferenceOnly,
            layers.ToEquatableArray(),
            problems.ToEquatableArray(),
            networkAttribute.NamedArguments.Any(n => n.Key == "Instrumentation") ? NamedInt(networkAttribute, "Instrumentation", 0) : NetworkModel.InstrumentationUnset);

        // Structural problems (blocks, widths, names) are the planner's to find: see AllProblems.
        return model;
    }

    private static void CheckClass(INamedTypeSymbol type, List<Problem> problems)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            bool isPartial = t.DeclaringSyntaxReferences.Any(r =>
                r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(m => m.ValueText == "partial"));
            if (!isPartial)
            {
                string what = SymbolEqualityComparer.Default.Equals(t, type) ? $"Network class '{t.Name}'" : $"Type '{t.Name}', which contains network '{type.Name}',";
                problems.Add(new Problem(DiagnosticIds.NotPartial, $"{what} must be declared partial so that GradGen can generate the network's code into it", -1));
            }
            if (t.IsGenericType)
                problems.Add(new Problem(DiagnosticIds.UnsupportedClass, $"Network '{type.Name}' cannot be generic or nested in a generic type: every size must be a compile-time constant", -1));
        }
        // The generator only reads class declarations, and a record could not derive from Network<T> anyway.
        if (type.IsRecord)
            problems.Add(new Problem(DiagnosticIds.UnsupportedClass, $"Network '{type.Name}' cannot be a record: a record may only derive from another record, and its generated part derives from GradGen.Network<T>", -1));
        if (type.IsStatic)
            problems.Add(new Problem(DiagnosticIds.UnsupportedClass, $"Network class '{type.Name}' cannot be static: a network is an object that owns its parameters", -1));
        // The analyzer sees the generated part too, whose base is GradGen.Network<…>: only another base is a problem.
        if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType
            && !(baseType.Name == "Network" && baseType.ContainingNamespace?.ToDisplayString() == AttributeNamespace))
            problems.Add(new Problem(DiagnosticIds.UnsupportedClass, $"Network class '{type.Name}' cannot declare a base class ('{baseType.Name}'): its generated part derives from GradGen.Network<T>", -1));
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static LayerModel ParseLayer(AttributeData a, int index, List<Problem> problems)
    {
        var kind = s_layerKinds[a.AttributeClass!.Name];
        string source = a.ApplicationSyntaxReference?.GetSyntax() is { } syntax ? OneLine(syntax) : a.AttributeClass.Name;
        string label = "[" + source + "]";

        void Positive(int value, string what)
        {
            if (value <= 0)
                problems.Add(new Problem(DiagnosticIds.NonPositiveSize, $"{label}: {what} must be positive, but is {value}", index));
        }

        ActivationKind Act(string ctorName, string propertyName)
        {
            int v = ArgInt(a, ctorName, propertyName, 0);
            if (!Enum.IsDefined(typeof(ActivationKind), v))
                problems.Add(new Problem(DiagnosticIds.UnknownValue, $"{label}: activation value {v} is not a member of GradGen.Activation", index));
            return (ActivationKind)v;
        }

        string? name = NamedString(a, "Name");
        if (name is not null && (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '\\')))
            problems.Add(new Problem(DiagnosticIds.InvalidValue, $"{label}: Name \"{name}\" must be non-empty, without white space, quotes or backslashes", index));

        double slope = NamedDouble(a, "Slope", 0.01);
        double alpha = NamedDouble(a, "Alpha", 1.0);
        if (double.IsNaN(slope) || double.IsInfinity(slope))
            problems.Add(new Problem(DiagnosticIds.InvalidValue, $"{label}: Slope must be a finite number", index));
        if (double.IsNaN(alpha) || double.IsInfinity(alpha))
            problems.Add(new Problem(DiagnosticIds.InvalidValue, $"{label}: Alpha must be a finite number", index));

        int units = 0, count = 0, growth = 0;
        double epsilon = 0;
        bool bias = true;
        var activation = ActivationKind.Identity;
        InitModel weightInit = default, biasInit = default;
        switch (kind)
        {
            case LayerKind.Dense:
                units = ArgInt(a, "units", "Units", 0);
                Positive(units, "the number of units");
                activation = Act("activation", "Activation");
                bias = NamedBool(a, "Bias", true);
                weightInit = ParseInit(a, "Weight", label, index, isBias: false, problems);
                biasInit = ParseInit(a, "Bias", label, index, isBias: true, problems);
                break;
            case LayerKind.LayerNorm:
                activation = Act("activation", "Activation");
                epsilon = NamedDouble(a, "Epsilon", 1e-5);
                if (!(epsilon > 0) || double.IsInfinity(epsilon))
                    problems.Add(new Problem(DiagnosticIds.InvalidValue, $"{label}: Epsilon must be positive and finite, but is {epsilon.ToString("R", CultureInfo.InvariantCulture)}", index));
                break;
            case LayerKind.Activate:
                activation = Act("activation", "Activation");
                break;
            case LayerKind.Residual:
                activation = Act("after", "After");
                break;
            case LayerKind.Repeat:
                count = ArgInt(a, "count", "Count", 0);
                Positive(count, "the repeat count");
                break;
            case LayerKind.DenseBlock:
                count = ArgInt(a, "layers", "Layers", 0);
                growth = ArgInt(a, "growth", "Growth", 0);
                Positive(count, "the number of layers");
                Positive(growth, "the growth (units per layer)");
                activation = Act("activation", "Activation");
                weightInit = ParseInit(a, "Weight", label, index, isBias: false, problems);
                biasInit = ParseInit(a, "Bias", label, index, isBias: true, problems);
                name ??= "block";
                break;
        }
        int line = a.ApplicationSyntaxReference is { } reference ? reference.SyntaxTree.GetLineSpan(reference.Span).StartLinePosition.Line + 1 : 0;
        return new LayerModel(kind, source, units, activation, slope, alpha, name, bias, weightInit, biasInit, epsilon, count, growth, line);
    }

    /// <summary>The attribute's text on one line and without comments: it is quoted in // comments of the generated
    /// code, where a line break would end the comment and leave the rest of the attribute as code.</summary>
    private static string OneLine(SyntaxNode syntax)
    {
        var text = new StringBuilder();
        bool space = false;
        foreach (var token in syntax.DescendantTokens())
        {
            if (text.Length > 0 && (space || token.HasLeadingTrivia)) text.Append(' ');
            text.Append(token.Text);
            space = token.HasTrailingTrivia;
        }
        return text.ToString();
    }

    private static InitModel ParseInit(AttributeData a, string prefix, string label, int index, bool isBias, List<Problem> problems)
    {
        int kindValue = NamedInt(a, prefix + "Init", 0);
        var kind = (InitKind)kindValue;
        if (!Enum.IsDefined(typeof(InitKind), kind))
        {
            problems.Add(new Problem(DiagnosticIds.UnknownValue, $"{label}: {prefix}Init value {kindValue} is not a member of GradGen.Init", index));
            return default;
        }
        void Bad(string why) => problems.Add(new Problem(DiagnosticIds.InvalidInit, $"{label}: {prefix}Init = Init.{kind}: {why}", index));
        switch (kind)
        {
            case InitKind.Normal:
            {
                double mean = NamedDouble(a, prefix + "Mean", 0), std = NamedDouble(a, prefix + "Std", 1);
                if (!(std > 0) || double.IsInfinity(std)) Bad($"{prefix}Std must be positive and finite, but is {Format(std)}");
                if (double.IsNaN(mean) || double.IsInfinity(mean)) Bad($"{prefix}Mean must be finite");
                return new InitModel(kind, mean, std);
            }
            case InitKind.Uniform:
            {
                double low = NamedDouble(a, prefix + "Low", 0), high = NamedDouble(a, prefix + "High", 1);
                if (!(low < high) || double.IsInfinity(low) || double.IsInfinity(high)) Bad($"{prefix}Low ({Format(low)}) must be below {prefix}High ({Format(high)}), both finite");
                return new InitModel(kind, low, high);
            }
            case InitKind.Constant:
            {
                double value = NamedDouble(a, prefix + "Value", 0);
                if (double.IsNaN(value) || double.IsInfinity(value)) Bad($"{prefix}Value must be finite");
                return new InitModel(kind, value, 0);
            }
            case InitKind.XavierUniform or InitKind.XavierNormal or InitKind.KaimingUniform or InitKind.KaimingNormal or InitKind.Orthogonal:
            {
                if (isBias) Bad("this initialiser needs a matrix's fan-in and fan-out; a bias is a vector (PyTorch refuses it too)");
                double gain = isBias ? double.NaN : NamedDouble(a, prefix + "Gain", double.NaN);
                if (!double.IsNaN(gain) && (!(gain > 0) || double.IsInfinity(gain))) Bad($"{prefix}Gain must be positive and finite, but is {Format(gain)}");
                return new InitModel(kind, gain, 0); // NaN gain: the planner picks the default for the layer's activation
            }
            default:
                return new InitModel(kind, 0, 0);
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // --- reading attribute arguments ---

    private static object? Arg(AttributeData a, string ctorName, string propertyName)
    {
        var parameters = a.AttributeConstructor?.Parameters ?? default;
        if (!parameters.IsDefaultOrEmpty)
        {
            for (int i = 0; i < parameters.Length && i < a.ConstructorArguments.Length; i++)
            {
                if (parameters[i].Name == ctorName) return a.ConstructorArguments[i].Value;
            }
        }
        foreach (var pair in a.NamedArguments)
        {
            if (pair.Key == propertyName) return pair.Value.Value;
        }
        return null;
    }

    private static object? Named(AttributeData a, string propertyName)
    {
        foreach (var pair in a.NamedArguments)
        {
            if (pair.Key == propertyName) return pair.Value.Value;
        }
        return null;
    }

    private static int ArgInt(AttributeData a, string ctorName, string propertyName, int fallback) =>
        Arg(a, ctorName, propertyName) is { } v ? Convert.ToInt32(v, CultureInfo.InvariantCulture) : fallback;

    private static int NamedInt(AttributeData a, string name, int fallback) =>
        Named(a, name) is { } v ? Convert.ToInt32(v, CultureInfo.InvariantCulture) : fallback;

    private static double NamedDouble(AttributeData a, string name, double fallback) =>
        Named(a, name) is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : fallback;

    private static bool NamedBool(AttributeData a, string name, bool fallback) =>
        Named(a, name) is bool b ? b : fallback;

    private static string? NamedString(AttributeData a, string name) => Named(a, name) as string;
}
