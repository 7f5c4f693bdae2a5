using SharpAttention.Autograd;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;
using SharpAttention.Visualization;

namespace SharpAttention.Tests.Visualization;

[Collection(GlobalKernelStateCollection.Name)]   // reseeds the default generator
public class AttentionVisualizationTests
{
    [Fact]
    public void Map_from_tensor_average_and_html()
    {
        var w = Tensor.FromArray(new float[] { 0.25f, 0.75f, 1, 0 }, 2, 2);
        var a = AttentionMap.FromTensor("a", w, ["x", "<eos>"], ["p", "q"]);
        Assert.Equal(0.75, a.Weights[0, 1], 6);
        var b = AttentionMap.FromTensor("b", Tensor.FromArray(new float[] { 0.75f, 0.25f, 0, 1 }, 2, 2), ["x", "<eos>"], ["p", "q"]);
        var mean = AttentionMap.Average("mean", [a, b]);
        Assert.Equal([0.5, 0.5, 0.5, 0.5], mean.Weights.Cast<double>());
        Assert.Throws<ArgumentException>(() => AttentionMap.FromTensor("c", w, ["x"], ["p", "q"]));

        var html = AttentionHtml.Render("T <1>", [a, mean]);
        Assert.Equal(8, html.Split("<td ").Length - 1);
        Assert.Contains("&lt;eos&gt; → q: 0.000", html);
        Assert.Contains("<title>T &lt;1&gt;</title>", html);
        Assert.DoesNotContain("<script", html);
    }

    [Fact]
    public void Captured_cross_attention_is_a_distribution_over_real_source_positions_and_changes_nothing()
    {
        Generator.ManualSeed(3);
        var model = new Seq2SeqTransformer(Seq2SeqConfig.Tiny(12, 9) with { Dropout = 0 });
        model.Eval();
        var src = Tensor.FromArray(new long[] { 5, 6, 7, 8, 2, 4, 5, 2, 0, 0 }, 2, 5);     // second row padded
        var tgtIn = Tensor.FromArray(new long[] { 1, 4, 5, 1, 6, 0 }, 2, 3);
        Tensor plain;
        using (GradMode.NoGrad()) plain = model.Forward(src, tgtIn);
        var weights = model.CrossAttentionWeights(src, tgtIn);
        Tensor again;
        using (GradMode.NoGrad()) again = model.Forward(src, tgtIn);
        Assert.Equal(plain.ToArray(), again.ToArray());
        Assert.Equal(2, weights.Length);
        foreach (var w in weights)
        {
            Assert.Equal([2, 2, 3, 5], w.Shape);
            var values = w.ToArray();
            for (int row = 0; row < 2 * 2 * 3; row++)
                Assert.Equal(1.0, values.Skip(row * 5).Take(5).Sum(v => (double)v), 5);
            for (int h = 0; h < 2; h++)
                for (int t = 0; t < 3; t++)
                    Assert.Equal([0f, 0f], values.Skip(((1 * 2 + h) * 3 + t) * 5 + 3).Take(2));
        }
        Assert.All(model.Transformer.Decoder.Layers, l => Assert.False(l.MultiheadAttn.CaptureWeights));
    }

    [Fact]
    public void Captured_weights_equal_the_weights_the_module_returns()
    {
        Generator.ManualSeed(4);
        var mha = new SharpAttention.NN.Attention.MultiheadAttention(8, 2, batchFirst: true);
        var q = Tensor.Randn(2, 3, 8);
        var kv = Tensor.Randn(2, 4, 8);
        var (_, returned) = mha.Forward(q, kv, kv, needWeights: true, averageAttnWeights: false);
        mha.CaptureWeights = true;
        var (output, none) = mha.Forward(q, kv, kv, needWeights: false);
        Assert.Null(none);
        Assert.Equal(returned!.ToArray(), mha.CapturedWeights!.ToArray());
        var (_, averaged) = mha.Forward(q, kv, kv, needWeights: true);
        Assert.Equal([2, 3, 4], averaged!.Shape);
        Assert.Equal(returned.Mean(1).ToArray(), averaged.ToArray());
        Assert.Equal([2, 3, 8], output.Shape);
    }
}
