using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

public class EncoderModelTests
{
    static EncoderConfig Config(PositionEncoding positions = PositionEncoding.Learned, bool normFirst = true) =>
        EncoderConfig.Tiny(20) with { DModel = 32, DimFeedforward = 64, Dropout = 0, MaxLen = 16, Positions = positions, NormFirst = normFirst };

    [Theory]
    [InlineData(Pooling.Cls, PositionEncoding.Learned)]
    [InlineData(Pooling.Mean, PositionEncoding.Sinusoidal)]
    [InlineData(Pooling.Mean, PositionEncoding.Rotary)]
    [InlineData(Pooling.Max, PositionEncoding.Learned)]
    [InlineData(Pooling.Attention, PositionEncoding.Learned)]
    public void ClassifierGivesLogitsPerSequenceAndIgnoresPadding(Pooling pooling, PositionEncoding positions)
    {
        var m = new EncoderClassifier(Config(positions) with { Pooling = pooling }, 3, new Generator(1));
        var shortBatch = Padded(0, [1, 5, 7], [1, 9, 9, 4, 2]);
        var longBatch = Padded(0, [1, 5, 7, 0, 0, 0, 0, 0], [1, 9, 9, 4, 2, 0, 0, 0]);
        var logits = m.Forward(shortBatch);
        Assert.Equal(new[] { 2, 3 }, logits.Shape.ToArray());
        Close(logits, m.Forward(longBatch));   // more padding changes nothing
        // A real token in the padded tail does change the result.
        Assert.NotEqual(logits.ToArray(), m.Forward(Padded(0, [1, 5, 7, 3], [1, 9, 9, 4, 2])).ToArray());
    }

    [Fact]
    public void ClassifierKeysAndTraining()
    {
        var m = new EncoderClassifier(Config(), 2, new Generator(2));
        var keys = m.StateDict().Keys.ToList();
        Assert.Equal("backbone.token_embedding.weight", keys[0]);
        Assert.Contains("backbone.position_embedding.weight", keys);
        Assert.Contains("backbone.encoder.layers.1.self_attn.in_proj_weight", keys);
        Assert.Contains("backbone.encoder.norm.weight", keys);
        Assert.Equal(["head.weight", "head.bias"], keys[^2..]);

        var ids = Ids(8, 6, 1, 20, 3);
        var labels = Tensor.FromArray(ids.Select(1, 1).ToInt64Array().Select(v => v % 2).ToArray(), 8);
        var (first, last) = Train(m, () => m.Loss(ids, labels));
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void TaggerGivesLogitsPerPositionAndIgnoresPaddingInTheLoss()
    {
        var m = new TokenTagger(Config(normFirst: false), 4, new Generator(3));
        var ids = Padded(0, [3, 4, 5, 6], [7, 8]);
        var logits = m.Forward(ids);
        Assert.Equal(new[] { 2, 4, 4 }, logits.Shape.ToArray());
        // Real positions are unaffected by extra padding.
        Close(logits.Narrow(1, 0, 4), m.Forward(Padded(0, [3, 4, 5, 6, 0, 0], [7, 8])).Narrow(1, 0, 4));
        // Tags at padding positions are ignored whatever they are.
        var tags = Tensor.FromArray([0L, 1, 2, 3, 1, 2, 0, 0], 2, 4);
        var other = Tensor.FromArray([0L, 1, 2, 3, 1, 2, 3, 3], 2, 4);
        Assert.Equal(m.Loss(ids, tags).Item(), m.Loss(ids, other).Item(), 6);

        var batch = Ids(6, 7, 1, 20, 4);
        var target = Tensor.FromArray(batch.ToInt64Array().Select(v => v % 4).ToArray(), 6, 7);
        var (first, last) = Train(m, () => m.Loss(batch, target));
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void PresetsAreWhatTheySay()
    {
        var b = EncoderConfig.Base(30522);
        Assert.Equal((768, 12, 12, 3072), (b.DModel, b.NumHeads, b.NumLayers, b.DimFeedforward));
        Assert.Equal((256, 4, 4), (EncoderConfig.Mini(10).DModel, EncoderConfig.Mini(10).NumHeads, EncoderConfig.Mini(10).NumLayers));
        Assert.Equal(Activation.Gelu, b.Activation);
        Assert.Throws<ArgumentException>(() => new TokenTagger(Config() with { PadId = 20 }, 2));
        Assert.Throws<ArgumentException>(() => new EncoderClassifier(Config(), 2).Forward(Ids(1, 17, 1, 20, 1)));
    }
}
