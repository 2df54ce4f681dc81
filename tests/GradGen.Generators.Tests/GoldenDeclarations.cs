namespace GradGen.Generators.Tests;

/// <summary>The declarations whose generated code is approved under Approved/&lt;Name&gt;.g.cs.</summary>
internal static class GoldenDeclarations
{
    public sealed record Case(string Name, string HintName, string Source)
    {
        public string FileName => Name + ".cs";
        public override string ToString() => Name;
    }

    public static readonly Case[] All =
    {
        new("SmallMlp", "SmallMlp.g.cs", """
            using GradGen;

            // 4-8-3 with ReLU, softmax cross-entropy on class indices
            [Network(4, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(8, Activation.ReLU)]
            [Dense(3)]
            public partial class SmallMlp;
            """),

        // Everything instrumentation compiles in: the layer table, the monitor's hooks in each layer's methods
        // (inside a repeat's loop too), and a dense block's strided views.
        new("InstrumentedNet", "InstrumentedNet.g.cs", """
            using GradGen;

            [Network(6, Loss = Loss.MeanSquaredError, Instrumentation = Instrumentation.All)]
            [Dense(8, Activation.Tanh)]
            [Repeat(2)]
                [Residual(Activation.ReLU)]
                    [Dense(8, Activation.Sigmoid, Name = "fc1")]
                    [Dense(8, Name = "fc2")]
                [EndResidual]
            [EndRepeat]
            [DenseBlock(2, 4, Activation.ReLU)]
            [Dense(2)]
            public partial class InstrumentedNet;
            """),

        new("RepeatSigmoidMse", "RepeatSigmoidMse.g.cs", """
            using GradGen;

            // 3-5-5-5-1: a repeated sigmoid Dense, then a linear head
            [Network(3, Loss = Loss.MeanSquaredError)]
            [Repeat(3)]
                [Dense(5, Activation.Sigmoid)]
            [EndRepeat]
            [Dense(1)]
            public partial class RepeatSigmoidMse;
            """),

        // Two fused residual blocks (the add and its ReLU run in fc2's epilogue), then one block whose body ends in an
        // activation, so that its add is a separate op with a LeakyReLU after it.
        new("ResidualRepeat", "ResidualRepeat.g.cs", """
            using GradGen;

            [Network(6, Loss = Loss.MeanSquaredError)]
            [Dense(8, Name = "stem")]
            [Repeat(2)]
                [Residual(Activation.ReLU)]
                    [Dense(8, Activation.ReLU, Name = "fc1")]
                    [Dense(8, Name = "fc2")]
                [EndResidual]
            [EndRepeat]
            [Residual(Activation.LeakyReLU, Slope = 0.2)]
                [Dense(8, Activation.Tanh)]
            [EndResidual]
            [Dense(2)]
            public partial class ResidualRepeat;
            """),

        new("DenseBlockNet", "DenseBlockNet.g.cs", """
            using GradGen;

            // 12 → initial 4 → a block of 3 layers growing by 4 (width 4 + 3·4 = 16) → 3 classes
            [Network(12, Loss = Loss.SoftmaxCrossEntropy)]
            [Dense(4, Name = "initial")]
            [DenseBlock(3, 4, Activation.ReLU)]
            [Dense(3, Name = "final")]
            public partial class DenseBlockNet;
            """),

        // Negative and fractional numbers everywhere a number is written: the fi-FI run would show a Unicode minus
        // sign or a decimal comma here.
        new("LayerNormNet", "LayerNormNet.g.cs", """
            using GradGen;

            [Network(5, Loss = Loss.BinaryCrossEntropyWithLogits)]
            [Dense(8, WeightInit = Init.Uniform, WeightLow = -0.25, WeightHigh = 0.25, BiasInit = Init.Constant, BiasValue = -0.5)]
            [LayerNorm(Name = "norm", Epsilon = 1e-5)]
            [Activate(Activation.ELU, Alpha = 0.5)]
            [Dense(2, WeightInit = Init.Normal, WeightMean = -0.125, WeightStd = 0.15)]
            public partial class LayerNormNet;
            """),

        new("NestedNetwork", "GradGen.Samples.Nested.Models.Encoder.g.cs", """
            using GradGen;

            namespace GradGen.Samples.Nested;

            public static partial class Models
            {
                // inference only: no loss, no backward
                [Network(3, InferenceOnly = true)]
                [Dense(4, Activation.GELU)]
                [Dense(2, WeightInit = Init.KaimingNormal)]
                public sealed partial class Encoder;
            }
            """),
    };

    public static Case Get(string name) => All.Single(c => c.Name == name);
}
