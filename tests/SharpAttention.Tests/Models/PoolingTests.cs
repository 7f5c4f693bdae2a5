using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

public class PoolingTests
{
    // Two sequences of three 2-d token vectors; the second's last position is padding (and holds junk).
    static Tensor H() => Tensor.FromArray(new[] { 1.0, 2, 3, 0, 5, 4, 2, -1, 0, 3, 100, 100 }, 2, 3, 2);

    static Tensor Mask() => Tensor.FromArray(new[] { false, false, false, false, false, true }, 2, 3);

    // q = (ln 2, 0) makes the (unscaled) score of token t equal h_t[0]·ln 2, so exp(score) = 2^h_t[0].
    static Tensor Query() => Tensor.FromArray(new[] { Math.Log(2), 0 }, 2);

    static void Equal(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"[{i}] {a[i]} vs {expected[i]}");
    }

    static SequencePooler Pooler(Pooling mode)
    {
        var p = new SequencePooler(mode, 2);
        using (GradMode.NoGrad()) p.Query?.CopyFrom_(Query().To(DType.Float32));
        return p;
    }

    [Theory]
    [InlineData(Pooling.Cls, new[] { 1.0, 2, 2, -1 }, new[] { 1.0, 0, 0, 1, 0, 0 })]
    [InlineData(Pooling.Mean, new[] { 3.0, 2, 1, 1 }, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0, 0.5, 0.5, 0 })]
    // Row 0: both channels peak at token 2. Row 1: channel 0 at token 0, channel 1 at token 1 — never the padding.
    [InlineData(Pooling.Max, new[] { 5.0, 4, 2, 3 }, new[] { 0, 0, 1, 0.5, 0.5, 0 })]
    // Row 0: weights 2, 8, 32 over 42 → (1·(1,2) + 4·(3,0) + 16·(5,4)) / 21; row 1: 4 and 1 over 5, padding 0.
    [InlineData(Pooling.Attention, new[] { 93 / 21.0, 66 / 21.0, 1.6, -0.2 }, new[] { 1 / 21.0, 4 / 21.0, 16 / 21.0, 0.8, 0.2, 0 })]
    public void EachModeMatchesAHandWorkedExampleWithPadding(Pooling mode, double[] pooled, double[] weights)
    {
        var pooler = Pooler(mode);
        var h = H().To(DType.Float32);
        Equal(pooled, pooler.Forward(h, Mask()), 1e-5);
        var (p, w) = pooler.ForwardWithWeights(h, Mask());
        Equal(pooled, p, 1e-5);
        Equal(weights, w, 1e-6);
    }

    [Fact]
    public void AttentionPoolingInDoubleIsExact()
    {
        var (pooled, weights) = SequencePooler.AttentionPool(H(), Query(), Mask());
        Equal([93 / 21.0, 66 / 21.0, 1.6, -0.2], pooled);
        Equal([1 / 21.0, 4 / 21.0, 16 / 21.0, 0.8, 0.2, 0], weights);
    }

    [Theory]
    [InlineData(Pooling.Cls)]
    [InlineData(Pooling.Mean)]
    [InlineData(Pooling.Max)]
    [InlineData(Pooling.Attention)]
    public void PaddedPositionsNeverChangeTheOutputEvenWhenNotFinite(Pooling mode)
    {
        var pooler = Pooler(mode);
        var h = H().To(DType.Float32);
        var junk = h.Clone();
        var pad = Mask().Unsqueeze(-1);
        foreach (var value in new[] { -1e30, 1e30, double.NaN, double.PositiveInfinity })
        {
            var filled = junk.MaskedFill(pad, value);
            Assert.Equal(pooler.Forward(h, Mask()).ToArray(), pooler.Forward(filled, Mask()).ToArray());
            Assert.Equal(pooler.ForwardWithWeights(h, Mask()).Weights.ToArray(), pooler.ForwardWithWeights(filled, Mask()).Weights.ToArray());
        }
    }

    [Fact]
    public void AttentionPoolingGradientMatchesFiniteDifferences()
    {
        var h = Tensor.Randn([3, 4, 5], new Generator(11), DType.Float64);
        var q = Tensor.Randn([5], new Generator(12), DType.Float64);
        var mask = Tensor.FromArray(new[] { false, false, false, false, false, false, true, true, false, true, true, true }, 3, 4);
        GradCheck.Check(x => SequencePooler.AttentionPool(x[0], x[1], mask).Pooled, [h, q]);
        GradCheck.Check(x => SequencePooler.AttentionPool(x[0], x[1], mask).Weights, [h, q], seed: 2);
    }

    [Fact]
    public void MaxAndMeanPoolingGradientsMatchFiniteDifferences()
    {
        var h = Tensor.Randn([2, 3, 4], new Generator(13), DType.Float64);
        var mask = Tensor.FromArray(new[] { false, false, true, false, false, false }, 2, 3);
        GradCheck.Check(x => SequencePooler.MaxPool(x[0], mask).Values, [h]);
        GradCheck.Check(x => SequencePooler.MeanPool(x[0], mask), [h]);
    }

    static EncoderConfig Config(Pooling pooling) =>
        EncoderConfig.Tiny(20) with { DModel = 32, DimFeedforward = 64, Dropout = 0, MaxLen = 16, Pooling = pooling };

    [Fact]
    public void AttentionPoolerIsInTheStateDictAndStartsAsMeanPooling()
    {
        var attention = new EncoderClassifier(Config(Pooling.Attention), 2, new Generator(4));
        Assert.Equal(["pooler.query", "head.weight", "head.bias"], attention.StateDict().Keys.ToArray()[^3..]);
        Assert.Equal(new[] { 32 }, attention.Pooler.Query!.Shape.ToArray());
        Assert.DoesNotContain(new EncoderClassifier(Config(Pooling.Mean), 2).StateDict().Keys, k => k.StartsWith("pooler", StringComparison.Ordinal));
        // A zero query weights every real token alike: the same logits as mean pooling with the same weights.
        var mean = new EncoderClassifier(Config(Pooling.Mean), 2, new Generator(4));
        var ids = Padded(0, [1, 5, 7], [1, 9, 9, 4, 2]);
        Close(mean.Forward(ids), attention.Forward(ids));
        var (_, weights) = attention.ForwardWithWeights(ids);
        Equal([1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0.2, 0.2, 0.2, 0.2, 0.2], weights, 1e-6);
    }

    [Fact]
    public void BalancedClassWeightsAndTheWeightedLoss()
    {
        // sklearn's "balanced": 10 / (2 · 8) and 10 / (2 · 2).
        Assert.Equal([0.625f, 2.5f], ClassWeights.Balanced([8, 2]).ToArray());
        Assert.Equal([0f, 0.5f], ClassWeights.Balanced([0, 4]).ToArray());   // 4 / (2 · 4)

        var m = new EncoderClassifier(Config(Pooling.Mean), 2, new Generator(6));
        var ids = Padded(0, [1, 5, 7], [1, 9, 9, 4, 2], [3, 3]);
        long[] y = [0, 1, 1];
        var logits = m.Forward(ids).ToDoubleArray();
        double[] weight = [0.625, 2.5];
        double num = 0, den = 0;
        for (int i = 0; i < 3; i++)
        {
            double a = logits[2 * i], b = logits[2 * i + 1], lse = Math.Max(a, b) + Math.Log(Math.Exp(a - Math.Max(a, b)) + Math.Exp(b - Math.Max(a, b)));
            num += weight[y[i]] * (lse - logits[2 * i + y[i]]);
            den += weight[y[i]];
        }
        Assert.Equal(num / den, m.Loss(ids, Tensor.FromArray(y, 3), classWeights: ClassWeights.Balanced([8, 2])).Item(), 5);
    }
}
