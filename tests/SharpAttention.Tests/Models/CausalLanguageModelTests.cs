using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.NN;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Models.ModelTestUtil;

namespace SharpAttention.Tests.Models;

public class CausalLanguageModelTests
{
    static CausalLMConfig Modern => CausalLMConfig.Tiny(16) with { DModel = 32, DimFeedforward = 48, MaxLen = 32 };

    static CausalLMConfig Gpt2Like => Modern with
    {
        Positions = PositionEncoding.Learned, Activation = Activation.Gelu, Norm = NormKind.LayerNorm, Bias = true, DimFeedforward = 64,
    };

    public static TheoryData<string> Variants => ["modern", "gpt2", "gqa_untied", "alibi"];

    static CausalLMConfig Variant(string name) => name switch
    {
        "modern" => Modern,
        "gpt2" => Gpt2Like,
        "alibi" => Modern with { Positions = PositionEncoding.Alibi, NumHeads = 4 },
        _ => Modern with { NumHeads = 4, NumKvHeads = 2, TieWeights = false },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void LogitsAreCausal(string variant)
    {
        var m = new CausalLanguageModel(Variant(variant), new Generator(1));
        var ids = Ids(2, 9, 0, 16, 2);
        var logits = m.Forward(ids);
        Assert.Equal(new[] { 2, 9, 16 }, logits.Shape.ToArray());
        // Changing token 5 leaves the logits of positions 0..4 unchanged and changes position 5's.
        var changed = ids.Clone();
        using (SharpAttention.Autograd.GradMode.NoGrad()) changed.Select(1, 5).Fill_(15 - ids[0, 5]);
        var again = m.Forward(changed);
        Close(logits.Narrow(1, 0, 5), again.Narrow(1, 0, 5));
        Assert.NotEqual(logits.Narrow(1, 5, 1).ToArray(), again.Narrow(1, 5, 1).ToArray());
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void AFewStepsReduceTheLoss(string variant)
    {
        var m = new CausalLanguageModel(Variant(variant), new Generator(2));
        // Counting sequences mod 16 from random starts: learnable from the previous token alone.
        var starts = Ids(6, 1, 0, 16, 3).ToInt64Array();
        var ids = Tensor.FromArray(starts.SelectMany(s => Enumerable.Range(0, 12).Select(i => (s + i) % 16)).ToArray(), 6, 12);
        var (first, last) = Train(m, () => m.Loss(ids), steps: 30, lr: 1e-2);
        Assert.InRange(first, Math.Log(16) - 0.5, Math.Log(16) + 0.5);   // small init: near-uniform predictions
        Assert.True(last < 0.5 * first, $"loss {first} → {last}");
    }

    [Fact]
    public void TiedWeightsAreOneTensorUnderTwoKeys()
    {
        var m = new CausalLanguageModel(Gpt2Like, new Generator(3));
        var sd = m.StateDict();
        Assert.Equal("token_embedding.weight", sd.Keys.First());
        Assert.Equal("position_embedding.weight", sd.Keys.ElementAt(1));
        Assert.Equal("lm_head.weight", sd.Keys.Last());
        Assert.Contains("layers.1.linear2.bias", sd.Keys);
        Assert.Contains("norm.bias", sd.Keys);
        Assert.Same(m.TokenEmbedding.Weight, m.LmHead.Weight);
        Assert.DoesNotContain("lm_head.weight", m.NamedParameters().Select(p => p.Name));   // listed once, as torch does

        var llama = new CausalLanguageModel(Modern with { TieWeights = false }, new Generator(3)).StateDict().Keys;
        Assert.Contains("layers.0.feed_forward.w3.weight", llama);
        Assert.DoesNotContain("layers.0.self_attn.in_proj_bias", llama);
        Assert.DoesNotContain("norm.bias", llama);
        Assert.Contains("lm_head.weight", llama);
    }

    [Fact]
    public void SavedAndReloadedModelGivesTheSameLogits()
    {
        var dir = Directory.CreateTempSubdirectory("sharpattention-lm-").FullName;
        try
        {
            var path = Path.Combine(dir, "lm.safetensors");
            var a = new CausalLanguageModel(Gpt2Like, new Generator(4));
            a.SaveSafetensors(path);
            var b = new CausalLanguageModel(Gpt2Like, new Generator(5));
            b.LoadSafetensors(path);
            var ids = Ids(2, 7, 0, 16, 6);
            Assert.Equal(a.Forward(ids).ToArray(), b.Forward(ids).ToArray());
            Assert.Same(b.TokenEmbedding.Weight, b.LmHead.Weight);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PresetsAreWhatTheySay()
    {
        var g = CausalLMConfig.Gpt2Small();
        Assert.Equal((50257, 768, 12, 12, 1024), (g.VocabSize, g.DModel, g.NumHeads, g.NumLayers, g.MaxLen));
        Assert.Equal((PositionEncoding.Learned, Activation.Gelu, true, true), (g.Positions, g.Activation, g.Bias, g.TieWeights));
        var l = CausalLMConfig.LlamaStyle(32000);
        Assert.Equal((PositionEncoding.Rotary, Activation.SwiGlu, NormKind.RmsNorm, 4), (l.Positions, l.Activation, l.Norm, l.NumKvHeads));
        Assert.Throws<ArgumentException>(() => new CausalLanguageModel(Gpt2Like, new Generator(1)).Forward(Ids(1, 33, 0, 16, 1)));
        Assert.Throws<ArgumentException>(() => new CausalLanguageModel(Gpt2Like, new Generator(1)).Loss(Ids(1, 1, 0, 16, 1)));
    }

    /// <summary>ALiBi's per-head bias goes to the layers as one (B·H, T, T) mask: each row of a batch must get its own
    /// heads' bias, so a batch gives what each row gives alone.</summary>
    [Fact]
    public void Alibi_batch_rows_equal_rows_run_alone()
    {
        var m = new CausalLanguageModel(Variant("alibi"), new Generator(4));
        m.Eval();
        var ids = Ids(3, 7, 1, 16, 5);
        var batch = m.Forward(ids);                                                    // (3, 7, V)
        for (int b = 0; b < 3; b++) Close(batch.Narrow(0, b, 1), m.Forward(ids.Narrow(0, b, 1).Contiguous()));
    }
}
