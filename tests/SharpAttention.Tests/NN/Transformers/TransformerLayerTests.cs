using SharpAttention.Autograd;
using SharpAttention.NN;
using SharpAttention.NN.Attention;
using SharpAttention.NN.Positional;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.NN.Transformers;

public class TransformerLayerTests
{
    static void Close(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
        var (e, a) = (expected.ToArray(), actual.ToArray());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}] {a[i]} vs {e[i]}");
    }

    [Fact]
    public void EncoderLayerKeysAreTorchsInTorchsOrder()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16);
        Assert.Equal(["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                      "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"],
                     layer.StateDict().Keys);
        Assert.Equal(new[] { 16, 8 }, layer.Linear1!.Weight.Shape.ToArray());
        Assert.Equal(["self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight"],
                     new TransformerEncoderLayer(8, 2, 16, bias: false).StateDict().Keys);
    }

    [Fact]
    public void DecoderLayerKeysAreTorchs()
    {
        var keys = new TransformerDecoderLayer(8, 2, 16).StateDict().Keys.ToList();
        Assert.Equal(18, keys.Count);
        Assert.Equal("multihead_attn.in_proj_weight", keys[4]);
        Assert.Equal(["norm3.weight", "norm3.bias"], keys[^2..]);
    }

    [Fact]
    public void SwiGluAndRmsNormOptionsUseLlamaNames()
    {
        var layer = new TransformerEncoderLayer(8, 2, 12, dropout: 0, activation: Activation.SwiGlu, bias: false, norm: NormKind.RmsNorm);
        Assert.Equal(["self_attn.in_proj_weight", "self_attn.out_proj.weight", "feed_forward.w1.weight", "feed_forward.w2.weight",
                      "feed_forward.w3.weight", "norm1.weight", "norm2.weight"], layer.StateDict().Keys);
        Assert.Null(layer.Linear1);
        var ff = layer.FeedForward!;
        var x = Tensor.Randn([3, 8], new Generator(1));
        Close(F.SwiGlu(x, ff.W1.Weight, ff.W2.Weight, ff.W3.Weight), ff.Forward(x));
        Close(ff.W2.Forward(ff.W1.Forward(x).Silu() * ff.W3.Forward(x)), ff.Forward(x));
    }

    [Fact]
    public void StackIsDeepCopiesOfTheLayer()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, generator: new Generator(3));
        var enc = new TransformerEncoder(layer, 3);
        Assert.Equal(3, enc.NumLayers);
        Assert.Null(enc.Norm);
        foreach (var l in enc.Layers)
        {
            Assert.NotSame(layer, l);
            Assert.NotSame(layer.Linear1!.Weight, l.Linear1!.Weight);
            foreach (var (k, t) in layer.StateDict()) Assert.Equal(t.ToArray(), l.StateDict()[k].ToArray());
        }
        Assert.Contains("layers.2.norm2.bias", enc.StateDict().Keys);
        Assert.Equal(3 * layer.Parameters().Count(), enc.Parameters().Count());
        // Each copy trains on its own.
        using (GradMode.NoGrad()) enc.Layers[0].Linear1!.Weight.Fill_(0);
        Assert.NotEqual(0f, enc.Layers[1].Linear1!.Weight.ToArray().Max(Math.Abs));
    }

    [Fact]
    public void TransformerKeysAndXavierInit()
    {
        var m = new Transformer(16, 2, 2, 1, 32, generator: new Generator(5));
        var keys = m.StateDict().Keys.ToList();
        Assert.StartsWith("encoder.layers.0.self_attn.in_proj_weight", keys[0]);
        Assert.Contains("encoder.norm.weight", keys);
        Assert.Contains("decoder.layers.0.multihead_attn.out_proj.bias", keys);
        Assert.Equal("decoder.norm.bias", keys[^1]);
        Assert.DoesNotContain("decoder.layers.1.norm1.weight", keys);
        // xavier_uniform on linear1 (32, 16): bound √(6 / 48); the two encoder layers differ.
        var w0 = m.Encoder.Layers[0].Linear1!.Weight.ToArray();
        Assert.All(w0, v => Assert.InRange(v, -Math.Sqrt(6.0 / 48), Math.Sqrt(6.0 / 48)));
        Assert.NotEqual(w0, m.Encoder.Layers[1].Linear1!.Weight.ToArray());
    }

    [Fact]
    public void GenerateSquareSubsequentMaskIsTorchs()
    {
        var mask = Transformer.GenerateSquareSubsequentMask(3).ToArray();
        float n = float.NegativeInfinity;
        Assert.Equal(new[] { 0, n, n, 0, 0, n, 0, 0, 0 }, mask);
        Assert.Equal(new[] { 0, 0 }, Transformer.GenerateSquareSubsequentMask(0).Shape.ToArray());
        Assert.Equal(DType.Float64, Transformer.GenerateSquareSubsequentMask(2, DType.Float64).DType);
    }

    [Fact]
    public void UnbatchedInputMatchesABatchOfOne()
    {
        var m = new Transformer(16, 2, 1, 1, 32, dropout: 0, generator: new Generator(9));
        var g = new Generator(2);
        var src = Tensor.Randn([5, 16], g);
        var tgt = Tensor.Randn([4, 16], g);
        var unbatched = m.Forward(src, tgt, tgtIsCausal: true);
        var batched = m.Forward(src.Unsqueeze(1), tgt.Unsqueeze(1), tgtIsCausal: true);
        Assert.Equal(new[] { 4, 16 }, unbatched.Shape.ToArray());
        Close(batched.Squeeze(1), unbatched);
    }

    [Fact]
    public void CausalFlagEqualsTheCausalMask()
    {
        var layer = new TransformerDecoderLayer(16, 4, 32, dropout: 0, batchFirst: true, normFirst: true, generator: new Generator(4));
        var g = new Generator(8);
        var tgt = Tensor.Randn([2, 6, 16], g);
        var mem = Tensor.Randn([2, 7, 16], g);
        Close(layer.Forward(tgt, mem, Transformer.GenerateSquareSubsequentMask(6)), layer.Forward(tgt, mem, tgtIsCausal: true));
    }

    [Fact]
    public void DropoutActsInTrainingOnly()
    {
        var layer = new TransformerEncoderLayer(16, 2, 32, dropout: 0.5, generator: new Generator(1));
        var x = Tensor.Randn([4, 2, 16], new Generator(2));
        Assert.NotEqual(layer.Forward(x).ToArray(), layer.Forward(x).ToArray());
        layer.Eval();
        Assert.Equal(layer.Forward(x).ToArray(), layer.Forward(x).ToArray());
        Assert.False(new TransformerEncoder(layer, 2).Layers[1].Training);   // copies keep the mode
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(10, 3));
        Assert.Throws<ArgumentException>(() => new TransformerDecoderLayer(8, 2, dropout: 1.5));
        Assert.Throws<ArgumentException>(() => new TransformerEncoder(new TransformerEncoderLayer(8, 2, 16), 2, new Linear(8, 8)));
        var m = new Transformer(8, 2, 1, 1, 16);
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(3, 2, 8), Tensor.Zeros(3, 4, 8)));
        Assert.Throws<ArgumentException>(() => m.Forward(Tensor.Zeros(3, 2, 8), Tensor.Zeros(3, 2, 6)));
    }

    /// <summary>RoPE inside MultiheadAttention equals projecting, rotating q and k by position, and attending.</summary>
    [Fact]
    public void RotaryAttentionEqualsTheExplicitComputation()
    {
        int e = 16, h = 2, d = 8, t = 5, b = 2;
        var rope = new RotaryEmbedding(d);
        var mha = new MultiheadAttention(e, h, batchFirst: true, generator: new Generator(3), rotary: rope);
        Assert.Equal(4, mha.StateDict().Count);   // RoPE adds no state
        var x = Tensor.Randn([b, t, e], new Generator(4));
        var (o, _) = mha.Forward(x, x, x, needWeights: false, isCausal: true);

        var qkv = F.Linear(x, mha.InProjWeight!, mha.InProjBias).Split(e, -1);
        Tensor Heads(Tensor y) => y.Reshape(b, t, h, d).Transpose(1, 2);    // (B, H, T, D)
        var (q, k) = (rope.Apply(Heads(qkv[0])), rope.Apply(Heads(qkv[1])));
        var attn = F.ScaledDotProductAttention(q, k, Heads(qkv[2]), isCausal: true);
        var expected = F.Linear(attn.Transpose(1, 2).Reshape(b, t, e), mha.OutProj.Weight, mha.OutProj.Bias);
        Close(expected, o);

        var plain = new MultiheadAttention(e, h, batchFirst: true, generator: new Generator(3));
        Assert.NotEqual(plain.Forward(x, x, x, needWeights: false).Output.ToArray(), mha.Forward(x, x, x, needWeights: false).Output.ToArray());
    }
}
