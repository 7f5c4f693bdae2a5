using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

public class IntegratedGradientsTests
{
    static EncoderClassifier Model(Pooling pooling) =>
        new(EncoderConfig.Tiny(20) with { DModel = 32, DimFeedforward = 64, Dropout = 0, MaxLen = 16, Pooling = pooling, PadId = 0 }, 3, new Generator(5));

    /// <summary>The margin target − reference of a text read with its token embeddings scaled by α (α = 0: positions only).</summary>
    static double Margin(EncoderClassifier m, Tensor ids, double alpha, int target, int reference)
    {
        using var _ = GradMode.NoGrad();
        var x = m.Backbone.TokenEmbedding.Forward(ids);
        var logits = m.Head.Forward(m.Pooler.Forward(m.Backbone.Forward(ids, null, x * (alpha - 1)), null)).ToDoubleArray();
        return logits[target] - logits[reference];
    }

    [Theory]
    [InlineData(Pooling.Attention)]
    [InlineData(Pooling.Mean)]
    [InlineData(Pooling.Cls)]
    [InlineData(Pooling.Max)]
    public void PartsSumToTheMarginOverTheBaseline(Pooling pooling)
    {
        // IG's completeness axiom: Σₜ partsₜ = margin(text) − margin(no tokens), up to the Riemann sum's error.
        var m = Model(pooling);
        m.Eval();
        var ids = Ids(1, 9, 1, 20, 3);
        var parts = m.IntegratedGradients(ids, target: 2, reference: 0, steps: 64).ToDoubleArray();
        double expected = Margin(m, ids, 1, 2, 0) - Margin(m, ids, 0, 2, 0);
        Assert.True(Math.Abs(expected) > 1e-3, $"the margin moved only {expected}: a test that cannot fail");
        Assert.True(Math.Abs(parts.Sum() - expected) <= 0.02 * Math.Abs(expected) + 1e-4, $"Σ parts {parts.Sum()} vs {expected}");
    }

    [Fact]
    public void PaddingGetsNothingAndChangesNothing()
    {
        var m = Model(Pooling.Attention);
        var alone = m.IntegratedGradients(Padded(0, [3, 7, 11, 5]), 1, 2).ToDoubleArray();
        var padded = m.IntegratedGradients(Padded(0, [3, 7, 11, 5, 0, 0]), 1, 2).ToDoubleArray();
        Assert.Equal([0.0, 0.0], padded[4..]);
        for (int t = 0; t < 4; t++) Assert.True(Math.Abs(alone[t] - padded[t]) <= 1e-5 * (1 + Math.Abs(alone[t])), $"[{t}] {padded[t]} vs {alone[t]}");
    }

    [Fact]
    public void LeavesTheModelAsItFoundIt()
    {
        var m = Model(Pooling.Attention);
        m.Train();
        var before = m.Parameters().Select(p => p.ToDoubleArray()).ToArray();
        m.IntegratedGradients(Padded(0, [3, 7, 11]), 0);
        Assert.True(m.Training);
        Assert.All(m.Parameters(), p => Assert.Null(p.Grad));
        Assert.Equal(before, m.Parameters().Select(p => p.ToDoubleArray()).ToArray());
    }
}
