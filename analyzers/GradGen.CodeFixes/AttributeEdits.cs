using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradGen.CodeFixes;

/// <summary>Edits of a layer attribute, one small function each.</summary>
internal static class AttributeEdits
{
    /// <summary>The weight settings that go with an initialiser; a new WeightInit drops them all.</summary>
    private static readonly string[] s_weightSettings = { "WeightStd", "WeightMean", "WeightLow", "WeightHigh", "WeightValue", "WeightGain" };

    /// <summary>"GradGen.Dense" → "Dense": the attribute's simple name without the Attribute suffix.</summary>
    public static string SimpleName(AttributeSyntax attribute)
    {
        string name = attribute.Name switch
        {
            QualifiedNameSyntax q => q.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
            SimpleNameSyntax s => s.Identifier.ValueText,
            _ => attribute.Name.ToString(),
        };
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    public static bool IsLinearLayer(AttributeSyntax attribute) => SimpleName(attribute) is "Dense" or "DenseBlock";

    /// <summary>Another GradGen attribute's name, qualified as this one is ("GradGen.Repeat" → "GradGen.Residual").</summary>
    public static string Sibling(AttributeSyntax attribute, string name)
    {
        string text = attribute.Name.ToString();
        int dot = text.LastIndexOf('.');
        return dot < 0 ? name : text.Substring(0, dot + 1) + name;
    }

    /// <summary>The argument that sets the activation: a positional GradGen.Activation member, or Activation = … .</summary>
    private static AttributeArgumentSyntax? ActivationArgument(AttributeSyntax attribute) =>
        attribute.ArgumentList?.Arguments.FirstOrDefault(a =>
            a.NameEquals?.Name.Identifier.ValueText is "Activation" or "After"
            || a.NameEquals is null && a.Expression is MemberAccessExpressionSyntax m && m.Expression.ToString().EndsWith("Activation", StringComparison.Ordinal));

    public static AttributeSyntax ReplaceActivation(AttributeSyntax attribute, string member)
    {
        if (ActivationArgument(attribute) is not { Expression: MemberAccessExpressionSyntax access } argument) return attribute;
        return attribute.ReplaceNode(argument, argument.WithExpression(access.WithName(SyntaxFactory.IdentifierName(member))));
    }

    public static AttributeSyntax SetWeightInit(AttributeSyntax attribute, string initType, string member)
    {
        var arguments = attribute.ArgumentList?.Arguments ?? default;
        var kept = arguments.Where(a => !(a.NameEquals is { } n && s_weightSettings.Contains(n.Name.Identifier.ValueText))).ToList();
        var value = SyntaxFactory.ParseExpression($"{initType}.{member}");
        int existing = kept.FindIndex(a => a.NameEquals?.Name.Identifier.ValueText == "WeightInit");
        if (existing >= 0) kept[existing] = kept[existing].WithExpression(value.WithTriviaFrom(kept[existing].Expression));
        else kept.Add(SyntaxFactory.AttributeArgument(SyntaxFactory.NameEquals("WeightInit"), null, value));
        return attribute.WithArgumentList(SyntaxFactory.AttributeArgumentList(SyntaxFactory.SeparatedList(kept.Select(a => a.WithoutTrivia()),
            Enumerable.Repeat(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space), Math.Max(kept.Count - 1, 0)))));
    }

    /// <summary>Without its activation: a dense block (whose default is ReLU) gets Activation.Identity; another layer loses
    /// the argument; an [Activate(…)] sharing its list leaves the list (one alone in its list: <see cref="RemoveList"/>).</summary>
    public static SyntaxNode RemoveActivation(SyntaxNode root, AttributeSyntax attribute)
    {
        if (SimpleName(attribute) == "Activate")
        {
            var list = (AttributeListSyntax)attribute.Parent!;
            return root.ReplaceNode(list, list.WithAttributes(list.Attributes.Remove(attribute)));
        }
        if (SimpleName(attribute) == "DenseBlock") return root.ReplaceNode(attribute, ReplaceActivation(attribute, "Identity"));
        if (ActivationArgument(attribute) is not { } argument) return root;
        var arguments = attribute.ArgumentList!.Arguments.Remove(argument);
        var edited = arguments.Count == 0 ? attribute.WithArgumentList(null) : attribute.WithArgumentList(attribute.ArgumentList.WithArguments(arguments));
        return root.ReplaceNode(attribute, edited);
    }

    /// <summary>Deletes an attribute list: with the space before it when it shares a line with the previous list, else
    /// with its whole line.</summary>
    public static IReadOnlyList<TextChange> RemoveList(AttributeListSyntax list)
    {
        var previous = list.GetFirstToken().GetPreviousToken();
        bool sameLine = previous != default && !previous.TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) && !list.HasLeadingTrivia;
        return new[] { sameLine ? new TextChange(TextSpan.FromBounds(previous.Span.End, list.Span.End), "") : new TextChange(list.FullSpan, "") };
    }

    /// <summary>[Residual] right after the [Repeat] and [EndResidual] right before its matching [EndRepeat].</summary>
    public static IReadOnlyList<TextChange> WrapResidual(AttributeSyntax repeat)
    {
        if (repeat.Parent?.Parent is not MemberDeclarationSyntax owner) return Array.Empty<TextChange>();
        var attributes = owner.AttributeLists.SelectMany(l => l.Attributes).OrderBy(a => a.SpanStart).ToList();
        int depth = 0;
        foreach (var a in attributes.SkipWhile(a => a != repeat).Skip(1))
        {
            string name = SimpleName(a);
            if (name == "Repeat") depth++;
            else if (name == "EndRepeat" && depth-- == 0)
            {
                var changes = new List<TextChange>(InsertAfter(repeat, Sibling(repeat, "Residual")));
                changes.AddRange(InsertBefore(a, Sibling(repeat, "EndResidual")));
                return changes;
            }
        }
        return Array.Empty<TextChange>();
    }

    /// <summary>A new attribute after <paramref name="attribute"/>: its own [list] when the attribute ends its list, else
    /// into the list after it.</summary>
    public static IReadOnlyList<TextChange> InsertAfter(AttributeSyntax attribute, string text)
    {
        var list = (AttributeListSyntax)attribute.Parent!;
        return new[]
        {
            list.Attributes.Last() == attribute
                ? new TextChange(new TextSpan(list.Span.End, 0), $" [{text}]")
                : new TextChange(new TextSpan(attribute.Span.End, 0), $", {text}"),
        };
    }

    private static IReadOnlyList<TextChange> InsertBefore(AttributeSyntax attribute, string text)
    {
        var list = (AttributeListSyntax)attribute.Parent!;
        return new[]
        {
            list.Attributes.First() == attribute
                ? new TextChange(new TextSpan(list.SpanStart, 0), $"[{text}] ")
                : new TextChange(new TextSpan(attribute.SpanStart, 0), $"{text}, "),
        };
    }
}
