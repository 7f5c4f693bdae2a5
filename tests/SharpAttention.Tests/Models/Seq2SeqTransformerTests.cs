using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

public class Seq2SeqTransformerTests
{
    static Seq2SeqConfig Config => Seq2SeqConfig.Tiny(12, 14) with { DModel = 32, DimFeedforward = 64, Dropout = 0, MaxLen = 16 };

    [Fact]
    public void LogitsAreCausalInTheTargetAndIgnoreSourcePadding()
    {
        var m = new Seq2SeqTransformer(Config, new Generator(1));
        var src = Padded(0, [3, 4, 5, 6, 7], [8, 9]);
        var tgt = Padded(0, [1, 5, 6, 7], [1, 8, 9]);
        var logits = m.Forward(src, tgt);
        Assert.Equal(new[] { 2, 4, 14 }, logits.Shape.ToArray());
        // More source padding changes nothing.
        Close(logits, m.Forward(Padded(0, [3, 4, 5, 6, 7, 0, 0], [8, 9, 0, 0, 0, 0, 0]), tgt));
        // A later target token leaves earlier positions unchanged.
        var tgt2 = Padded(0, [1, 5, 11, 7], [1, 8, 9]);
        var other = m.Forward(src, tgt2);
        Close(logits.Narrow(1, 0, 2), other.Narrow(1, 0, 2));
        Assert.NotEqual(logits.Narrow(1, 2, 1).ToArray(), other.Narrow(1, 2, 1).ToArray());
        // Encode + Decode is Forward.
        var (memory, srcPad) = m.Encode(src);
        Assert.Equal(new[] { 2, 5, 32 }, memory.Shape.ToArray());
        Close(logits, m.Decode(tgt, memory, srcPad));
    }

    [Fact]
    public void KeysFollowTorchsTransformerAndSharingTiesTables()
    {
        var keys = new Seq2SeqTransformer(Config, new Generator(2)).StateDict().Keys.ToList();
        Assert.Equal(["src_embedding.weight", "tgt_embedding.weight", "positional_encoding.pe"], keys[..3]);
        Assert.Contains("transformer.encoder.layers.1.linear2.weight", keys);
        Assert.Contains("transformer.decoder.layers.0.multihead_attn.in_proj_weight", keys);
        Assert.Contains("transformer.decoder.norm.bias", keys);
        Assert.Equal(["output_projection.weight", "output_projection.bias"], keys[^2..]);

        var shared = new Seq2SeqTransformer(Seq2SeqConfig.Tiny(12, 12) with { ShareEmbeddings = true, TieOutput = true, Positions = PositionEncoding.Learned },
                                            new Generator(3));
        Assert.Same(shared.SrcEmbedding, shared.TgtEmbedding);
        Assert.Same(shared.TgtEmbedding.Weight, shared.OutputProjection.Weight);
        var sd = shared.StateDict();
        Assert.Contains("tgt_embedding.weight", sd.Keys);
        Assert.Contains("src_position.weight", sd.Keys);
        Assert.Single(shared.NamedParameters(), p => ReferenceEquals(p.Parameter, shared.SrcEmbedding.Weight));
        Assert.Throws<ArgumentException>(() => new Seq2SeqTransformer(Config with { ShareEmbeddings = true }));
    }

    [Fact]
    public void AFewStepsReduceTheLoss()
    {
        var m = new Seq2SeqTransformer(Config, new Generator(4));
        // Copy task: the target is the source; tgtIn starts with BOS = 1.
        var src = Ids(6, 6, 2, 12, 5);
        var tgtOut = src;
        var tgtIn = Tensor.Cat([Tensor.Full([6, 1], 1, DType.Int64), src.Narrow(1, 0, 5)], 1);
        var (first, last) = Train(m, () => m.Loss(src, tgtIn, tgtOut), steps: 30, lr: 3e-3);
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void PresetsAreVaswanis()
    {
        var b = Seq2SeqConfig.Base(100, 100);
        Assert.Equal((512, 8, 6, 6, 2048, 0.1), (b.DModel, b.NumHeads, b.NumEncoderLayers, b.NumDecoderLayers, b.DimFeedforward, b.Dropout));
        var big = Seq2SeqConfig.Big(100, 100);
        Assert.Equal((1024, 16, 4096, 0.3), (big.DModel, big.NumHeads, big.DimFeedforward, big.Dropout));
        Assert.True(b.ScaleEmbeddings);
    }
}
