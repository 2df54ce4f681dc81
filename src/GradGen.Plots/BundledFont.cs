using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace GradGen.Plots;

/// <summary>Liberation Sans (SIL OFL 1.1, Fonts/LICENSE.txt), embedded in this assembly and registered with ScottPlot
/// as its default font. The Skia build that ScottPlot brings for Linux (NativeAssets.Linux.NoDependencies) does not
/// use fontconfig, so on a machine without fonts it would find none: every label would be blank.</summary>
public static class BundledFont
{
    /// <summary>The family name plots use.</summary>
    public const string FamilyName = "Liberation Sans";

    private static readonly Lazy<SKTypeface> s_regular = new(() => Load("LiberationSans-Regular.ttf"));
    private static readonly Lazy<SKTypeface> s_bold = new(() => Load("LiberationSans-Bold.ttf"));
    private static readonly object s_gate = new();
    private static bool s_registered;

    /// <summary>Registers the font with ScottPlot (once) and makes it the default for plots made afterwards.</summary>
    public static void Register()
    {
        lock (s_gate)
        {
            if (s_registered) return;
            Fonts.FontResolvers.Insert(0, new Resolver());
            Fonts.Default = FamilyName;
            s_registered = true;
        }
    }

    /// <summary>The embedded typeface, regular or bold.</summary>
    public static SKTypeface Typeface(bool bold) => bold ? s_bold.Value : s_regular.Value;

    private static SKTypeface Load(string file)
    {
        string name = "GradGen.Plots.Fonts." + file;
        using Stream stream = typeof(BundledFont).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the font {name} is missing from {typeof(BundledFont).Assembly.GetName().Name}");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"Skia could not read the embedded font {file}");
    }

    /// <summary>Answers for <see cref="FamilyName"/> only; ScottPlot asks the next resolver for any other name.</summary>
    private sealed class Resolver : IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            fontName == FamilyName ? Typeface(bold: weight >= FontWeight.SemiBold) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == FamilyName ? Typeface(bold) : null;
    }
}
