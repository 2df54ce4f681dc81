using GradGen.Analyzers;

namespace GradGen.Analyzers.Tests;

/// <summary>GG2001–GG2007: each fires where it should, not where it should not, and its fix (where one exists) gives the
/// stated code.</summary>
public class DesignRuleTests
{
    // ---------------------------------------------------------------- GG2001 deep plain stack

    private const string DeepStack = """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2001:Repeat(12)|}] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat]
        [Dense(1)]
        public partial class DeepStack;
        """;

    [Fact]
    public Task DeepPlainStackFiresOnTheRepeat() => Verify.AnalyzerAsync(DeepStack);

    [Fact]
    public Task WrappingTheBodyInResidualRemovesIt() => Verify.FixAsync(DeepStack, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(12)] [Residual] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndResidual] [EndRepeat]
        [Dense(1)]
        public partial class DeepStack;
        """, RuleIds.Fixes.WrapResidual);

    [Fact]
    public Task TenLayersOrResidualBlocksAreNotADeepPlainStack() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(9)] [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)] [EndRepeat] [Dense(1)]
        public partial class Ten;

        [Network(64, Loss = Loss.MeanSquaredError)]
        [Repeat(20)] [Residual] [Dense(64, Activation.ReLU)] [EndResidual] [EndRepeat] [Dense(1)]
        public partial class Residual20;
        """);

    // ---------------------------------------------------------------- GG2002 initialiser / activation mismatch

    [Fact]
    public Task XavierWithReLUIsFixedToKaimingEverywhere() => Verify.FixAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2002:Dense(64, Activation.ReLU, WeightInit = Init.XavierUniform)|}]
        [{|GG2002:Dense(64, Activation.ReLU, WeightInit = Init.XavierUniform, WeightGain = 1.0)|}]
        [Dense(1)]
        public partial class Xavier;
        """, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(64, Activation.ReLU, WeightInit = Init.KaimingUniform)]
        [Dense(64, Activation.ReLU, WeightInit = Init.KaimingUniform)]
        [Dense(1)]
        public partial class Xavier;
        """, RuleIds.Fixes.SetInit + "KaimingUniform", fixAll: true);

    [Fact]
    public Task ReLUGainWithSigmoidIsAMismatch() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2002:Dense(64, Activation.Sigmoid, WeightInit = Init.KaimingNormal, WeightGain = 1.4142)|}]
        [Dense(1)]
        public partial class SigmoidWithReLUGain;
        """);

    [Fact]
    public Task MatchedInitialisersAreNotAMismatch() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(64, Activation.Tanh, WeightInit = Init.XavierNormal)]
        [Dense(64, Activation.ReLU, WeightInit = Init.KaimingNormal)]
        [Dense(64, Activation.Sigmoid, WeightInit = Init.KaimingNormal)]
        [Dense(1)]
        public partial class Matched;
        """);

    // ---------------------------------------------------------------- GG2003 collapsing linear layers

    [Fact]
    public Task LinearLayerFeedingALinearLayerCollapses() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2003:Dense(32)|}] [Dense(16, Activation.ReLU)] [Dense(1)]
        public partial class Collapsing;
        """);

    [Fact]
    public Task LinearLayerBeforeAnActivationOrASkipDoesNotCollapse() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(32)] [Activate(Activation.Tanh)] [Dense(16, Activation.ReLU)] [Dense(1)]
        public partial class WithActivation;

        [Network(64, Loss = Loss.MeanSquaredError)]
        [Residual] [Dense(64, Activation.ReLU)] [Dense(64)] [EndResidual] [Dense(1)]
        public partial class WithSkip;
        """);

    // ---------------------------------------------------------------- GG2004 squashing before a logits loss

    private const string SigmoidLogits = """
        [Network(64, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(32, Activation.ReLU)] [{|GG2004:Dense(10, Activation.Sigmoid)|}]
        public partial class SigmoidLogits;
        """;

    [Fact]
    public Task SigmoidBeforeSoftmaxCrossEntropyFires() => Verify.AnalyzerAsync(SigmoidLogits);

    [Fact]
    public Task RemovingTheSquashingActivationFixesIt() => Verify.FixAsync(SigmoidLogits, """
        [Network(64, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(32, Activation.ReLU)] [Dense(10)]
        public partial class SigmoidLogits;
        """, RuleIds.Fixes.RemoveActivation);

    [Fact]
    public Task TanhActivateBeforeBceIsRemoved() => Verify.FixAsync("""
        [Network(64, Loss = Loss.BinaryCrossEntropyWithLogits)]
        [Dense(32, Activation.ReLU)] [Dense(1)] [{|GG2004:Activate(Activation.Tanh)|}]
        public partial class TanhLogits;
        """, """
        [Network(64, Loss = Loss.BinaryCrossEntropyWithLogits)]
        [Dense(32, Activation.ReLU)] [Dense(1)]
        public partial class TanhLogits;
        """, RuleIds.Fixes.RemoveActivation);

    [Fact]
    public Task PlainLogitsAndSigmoidUnderMseAreNotSquashedLogits() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(32, Activation.ReLU)] [Dense(10)]
        public partial class Logits;

        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(32, Activation.ReLU)] [Dense(1, Activation.Tanh)]
        public partial class BoundedRegression;
        """);

    // ---------------------------------------------------------------- GG2005 non-negative regression head

    [Fact]
    public Task ReLUOnAnMseHeadFiresAndIsRemoved() => Verify.FixAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(32, Activation.ReLU)] [{|GG2005:Dense(1, Activation.ReLU)|}]
        public partial class ReLUHead;
        """, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(32, Activation.ReLU)] [Dense(1)]
        public partial class ReLUHead;
        """, RuleIds.Fixes.RemoveActivation);

    [Fact]
    public Task SoftplusActivateOnAnMseHeadFires() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(32, Activation.ReLU)] [Dense(1)] [{|GG2005:Activate(Activation.Softplus)|}]
        public partial class SoftplusHead;
        """);

    [Fact]
    public Task ReLUOnAClassifierHeadIsNotARegressionHead() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.SoftmaxCrossEntropy)]
        [Dense(32, Activation.ReLU)] [Dense(10, Activation.ELU)]
        public partial class EluLogits;
        """);

    // ---------------------------------------------------------------- GG2006 dead ReLU

    [Fact]
    public Task NegativeConstantBiasKillsReLUUnits() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2006:Dense(64, Activation.ReLU, BiasInit = Init.Constant, BiasValue = -2.0)|}]
        [Dense(1)]
        public partial class DeadUnits;
        """);

    [Fact]
    public Task SmallNegativeBiasIsNotDead() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(64, Activation.ReLU, BiasInit = Init.Constant, BiasValue = -0.1)]
        [Dense(1)]
        public partial class MostlyAlive;
        """);

    // ---------------------------------------------------------------- GG2007 symmetric initialisation

    [Fact]
    public Task ConstantWeightsAreReplacedByARandomInitialiser() => Verify.FixAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [{|GG2007:Dense(16, Activation.Tanh, WeightInit = Init.Constant, WeightValue = 0.1)|}]
        [Dense(1)]
        public partial class Symmetric;
        """, """
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(16, Activation.Tanh, WeightInit = Init.KaimingNormal)]
        [Dense(1)]
        public partial class Symmetric;
        """, RuleIds.Fixes.SetInit + "KaimingNormal");

    [Fact]
    public Task ConstantWeightsOfOneUnitHaveNoSymmetryToBreak() => Verify.AnalyzerAsync("""
        [Network(64, Loss = Loss.MeanSquaredError)]
        [Dense(16, Activation.Tanh)]
        [Dense(1, WeightInit = Init.Constant, WeightValue = 0.1)]
        public partial class OneUnit;
        """);
}
