using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;

namespace GradGen.Generators.Tests;

/// <summary>The generated source of each golden declaration, byte for byte against Approved/&lt;Name&gt;.g.cs.
/// To accept a change to the generator's output, run with GRADGEN_UPDATE_APPROVED=1 and review the diff.</summary>
public sealed class GoldenFileTests
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static TheoryData<string> Cases => new(GoldenDeclarations.All.Select(c => c.Name));

    private static (string HintName, string Text) Generate(GoldenDeclarations.Case c)
    {
        var run = TestCompilation.RunGenerator(TestCompilation.Create(c.Source, c.FileName)).AssertNoGeneratorFailure();
        return run.SingleSource();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_matches_the_approved_file(string name)
    {
        var c = GoldenDeclarations.Get(name);
        var (hintName, text) = Generate(c);
        Assert.Equal(c.HintName, hintName);

        string approvedPath = Path.Combine(SourceFolder.Of(), "Approved", name + ".g.cs");
        string receivedPath = Path.Combine(SourceFolder.Of(), "Approved", name + ".received.cs");
        byte[] received = s_utf8.GetBytes(text);
        if (Environment.GetEnvironmentVariable("GRADGEN_UPDATE_APPROVED") == "1")
        {
            File.WriteAllBytes(approvedPath, received);
            File.Delete(receivedPath);
            return;
        }

        Assert.True(File.Exists(approvedPath), $"no approved file {approvedPath}: run with GRADGEN_UPDATE_APPROVED=1 to create it");
        byte[] approved = File.ReadAllBytes(approvedPath);
        if (approved.AsSpan().SequenceEqual(received))
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllBytes(receivedPath, received);
        Assert.Fail($"{name}: generated source differs from {approvedPath} (written to {receivedPath}).\n{FirstDifference(s_utf8.GetString(approved), text)}");
    }

    /// <summary>"line N:\n  approved: …\n  received: …" for the first line that differs.</summary>
    internal static string FirstDifference(string approved, string received)
    {
        string[] a = approved.Split('\n'), r = received.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, r.Length); i++)
        {
            string? x = i < a.Length ? a[i] : null, y = i < r.Length ? r[i] : null;
            if (x != y)
                return $"first difference at line {i + 1}:\n  approved: {x ?? "<end of file>"}\n  received: {y ?? "<end of file>"}";
        }
        return "the lines are equal, so the difference is in line endings or encoding";
    }

    [Fact]
    public void First_difference_names_the_line_and_both_texts()
    {
        Assert.Equal("first difference at line 2:\n  approved: b\n  received: c", FirstDifference("a\nb\n", "a\nc\n"));
        Assert.Equal("first difference at line 3:\n  approved: <end of file>\n  received: x", FirstDifference("a\nb", "a\nb\nx"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_compiles_with_its_declaration(string name)
    {
        var c = GoldenDeclarations.Get(name);
        var input = TestCompilation.Create(c.Source, c.FileName);
        Assert.Empty(input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)); // the declaration alone is valid C#

        var run = TestCompilation.RunGenerator(input).AssertNoGeneratorFailure();
        Assert.Equal(2, run.Output.SyntaxTrees.Count());
        var problems = run.Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                        // users build with warnings as errors: a warning in generated code would break their build
                        || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true))
            .ToList();
        Assert.True(problems.Count == 0, $"{name}: the generated code does not compile:\n{TestCompilation.Describe(problems)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Two_independent_runs_generate_identical_text(string name)
    {
        var c = GoldenDeclarations.Get(name);
        var first = Generate(c);
        var second = Generate(c);
        Assert.Equal(first.HintName, second.HintName);
        Assert.True(first.Text == second.Text, FirstDifference(first.Text, second.Text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generation_does_not_depend_on_the_current_culture(string name)
    {
        var c = GoldenDeclarations.Get(name);
        var invariant = WithCulture(CultureInfo.InvariantCulture, () => Generate(c));
        var finnish = WithCulture(CultureInfo.GetCultureInfo("fi-FI"), () =>
        {
            // the culture must really be one that writes numbers differently, or this test proves nothing
            Assert.Equal("\u2212", CultureInfo.CurrentCulture.NumberFormat.NegativeSign);
            Assert.Equal("\u22120,25", (-0.25).ToString(CultureInfo.CurrentCulture));
            return Generate(c);
        });
        Assert.True(invariant.Text == finnish.Text, FirstDifference(invariant.Text, finnish.Text));
        // comments may use "−" as a symbol ("x − mean"), but no number is written with it or with a decimal comma
        Assert.DoesNotMatch(@"\u2212\d|\d,\d", finnish.Text);
    }

    [Fact]
    public void Fractional_and_negative_literals_are_written_in_the_invariant_culture()
    {
        var c = GoldenDeclarations.Get("LayerNormNet");
        var text = WithCulture(CultureInfo.GetCultureInfo("fi-FI"), () => Generate(c)).Text;
        Assert.Contains("global::GradGen.Init.Uniform, -0.25, 0.25,", text);
        Assert.Contains("global::GradGen.Init.Constant, -0.5, 0.0,", text);
        Assert.Contains("global::GradGen.Init.Normal, -0.125, 0.15,", text);
        Assert.Contains("epsilon: T.CreateTruncating(1E-05));", text);
        Assert.Contains("new global::GradGen.Kernels.ELU(0.5)", text);
    }

    private static T WithCulture<T>(CultureInfo culture, Func<T> action)
    {
        var (culture0, uiCulture0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = uiCulture0;
        }
    }
}
