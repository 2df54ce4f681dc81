using GradGen.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace GradGen.Analyzers.Tests;

/// <summary>GG1001 and GG1002: where they fire, where they must not, their thresholds and severities, and the fixes that
/// remove them (the analyzer is re-run on the fixed code, whose markup lists what must still be reported).</summary>
public class GradientFlowRuleTests
{
    private const string SigmoidStack = """
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [{|GG1001:Dense(100, Activation.Sigmoid)|}] [EndRepeat]
        [Dense(1)]
        public partial class SigmoidStack;
        """;

    [Fact]
    public Task SigmoidStackVanishesOnTheSigmoidLayer() => Verify.AnalyzerAsync(SigmoidStack);

    [Fact]
    public async Task MessageQuotesTheRatioAndTheSigmoidBound()
    {
        var diagnostic = (await AnalyzerRun.DiagnosticsAsync(SigmoidStack.Replace("{|GG1001:", "").Replace("|}", ""))).Single();
        string message = diagnostic.GetMessage();
        Assert.Matches(@"^Gradients reaching '0\.weight' are forecast at [0-9.e+-]+ of those at '8\.weight' \(vanishing below 1e-3\)", message);
        Assert.Contains("sigmoid′ ≤ 0.25 ⇒ its chain of 8 derivatives is at most 0.25^8 = 1.5e-5", message);
        Assert.Equal(RuleIds.Fixes.SwitchToReLU + "," + RuleIds.Fixes.InsertLayerNorm, diagnostic.Properties[RuleIds.FixesProperty]);
    }

    [Fact]
    public Task SwitchToReLUWithHeInitRemovesTheWarning() => Verify.FixAsync(SigmoidStack, """
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [Dense(100, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat]
        [Dense(1)]
        public partial class SigmoidStack;
        """, RuleIds.Fixes.SwitchToReLU);

    [Fact]
    public Task InsertingLayerNormRemovesTheWarning() => Verify.FixAsync(SigmoidStack, """
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [Dense(100, Activation.Sigmoid)] [LayerNorm] [EndRepeat]
        [Dense(1)]
        public partial class SigmoidStack;
        """, RuleIds.Fixes.InsertLayerNorm);

    private const string LargeReLUStack = """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [{|GG1002:Dense(64, Activation.ReLU, WeightInit = Init.Normal, WeightStd = 0.7)|}] [EndRepeat]
        [Dense(1)]
        public partial class LargeReLUStack;
        """;

    [Fact]
    public Task ReLUStackWithLargeWeightsExplodes() => Verify.AnalyzerAsync(LargeReLUStack);

    [Fact]
    public Task MatchingInitialiserRemovesTheExplosion() => Verify.FixAsync(LargeReLUStack, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat]
        [Dense(1)]
        public partial class LargeReLUStack;
        """, RuleIds.Fixes.SetInit + "KaimingNormal");

    private const string SigmoidAfterAdd = """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(10)] [{|GG1001:Residual(Activation.Sigmoid)|}] [Dense(64, Activation.ReLU)] [Dense(64)] [EndResidual] [EndRepeat]
        [Dense(1)]
        public partial class SigmoidAfterAdd;
        """;

    [Fact]
    public Task ResidualWithSigmoidAfterTheAddStillVanishes() => Verify.AnalyzerAsync(SigmoidAfterAdd);

    [Fact]
    public Task RemovingThePostAddActivationRemovesTheWarning() => Verify.FixAsync(SigmoidAfterAdd, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(10)] [Residual] [Dense(64, Activation.ReLU)] [Dense(64)] [EndResidual] [EndRepeat]
        [Dense(1)]
        public partial class SigmoidAfterAdd;
        """, RuleIds.Fixes.RemoveActivation);

    [Fact]
    public Task FixAllSwitchesEveryNetworkOfTheDocument() => Verify.FixAsync("""
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [{|GG1001:Dense(100, Activation.Sigmoid)|}] [EndRepeat]
        [Dense(1)]
        public partial class First;

        [Network(32, Loss = Loss.MeanSquaredError)]
        [Repeat(9)] [{|GG1001:Dense(32, Activation.Tanh, WeightInit = Init.Normal, WeightStd = 0.02)|}] [EndRepeat]
        [Dense(1)]
        public partial class Second;
        """, """
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [Dense(100, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat]
        [Dense(1)]
        public partial class First;

        [Network(32, Loss = Loss.MeanSquaredError)]
        [Repeat(9)] [Dense(32, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat]
        [Dense(1)]
        public partial class Second;
        """, RuleIds.Fixes.SwitchToReLU, fixAll: true);

    /// <summary>Healthy networks get no GG1xxx: the FashionMnist MLP, a He-initialised ReLU stack, a pre-norm residual stack.</summary>
    [Fact]
    public Task HealthyNetworksGetNoGradientFlowWarning() => Verify.AnalyzerAsync("""
        [Network(784, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(256, Activation.ReLU)] [Dense(128, Activation.ReLU)] [Dense(64, Activation.ReLU)] [Dense(10)]
        public partial class FashionMlp;

        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(9)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat] [Dense(1)]
        public partial class HeReLU;

        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(30)] [Residual] [LayerNorm] [Dense(64, Activation.GELU)] [Dense(64)] [EndResidual] [EndRepeat] [Dense(1)]
        public partial class PreNormResidual;

        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(3)] [Dense(100, Activation.Sigmoid)] [EndRepeat] [Dense(1)]
        public partial class ShallowSigmoid;
        """);

    /// <summary>ShallowSigmoid's gradient ratio is forecast at 2e-3: healthy at the default 1e-3, vanishing at 1e-2.</summary>
    [Fact]
    public Task VanishingThresholdIsABuildProperty() => Verify.AnalyzerAsync("""
        [Network(100, Loss = Loss.MeanSquaredError)]
        [Repeat(3)] [{|GG1001:Dense(100, Activation.Sigmoid)|}] [EndRepeat] [Dense(1)]
        public partial class ShallowSigmoid;
        """, "build_property.GradGenVanishingThreshold = 1e-2");

    [Fact]
    public Task ExplodingThresholdIsABuildProperty() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(8)] [Dense(64, Activation.ReLU, WeightInit = Init.Normal, WeightStd = 0.7)] [EndRepeat]
        [Dense(1)]
        public partial class LargeReLUStack;
        """, "build_property.GradGenExplodingThreshold = 1e12");

    /// <summary>An .editorconfig severity reaches the rule. (Microsoft.CodeAnalysis.Testing 1.1.4 reports analyzer
    /// diagnostics at their descriptor's severity, so an escalation to error cannot be observed here; a build applies it.)</summary>
    [Fact]
    public async Task EditorConfigSeverityNoneSilencesTheRule()
    {
        var test = new Verify.Test { TestCode = "using GradGen;\n" + SigmoidStack.Replace("{|GG1001:", "").Replace("|}", "") };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.GG1001.severity = none\n"));
        await test.RunAsync();
    }

    [Fact]
    public async Task EditorConfigOfAnotherFolderDoesNotApply()
    {
        var test = new Verify.Test { TestCode = "using GradGen;\n" + SigmoidStack };
        test.TestState.AnalyzerConfigFiles.Add(("/elsewhere/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.GG1001.severity = none\n"));
        await test.RunAsync();
    }
}
