using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.NN;

/// <summary>Embedding, RmsNorm and ModuleList: torch's initialisation, names and semantics.</summary>
public class LayerModuleTests
{
    [Fact]
    public void EmbeddingInitialisesNormalWithAZeroPaddingRow()
    {
        var e = new Embedding(200, 50, paddingIdx: 3, generator: new Generator(1));
        Assert.Equal(["weight"], e.StateDict().Keys);
        Assert.Equal(new[] { 200, 50 }, e.Weight.Shape.ToArray());
        Assert.All(e.Weight.Select(0, 3).ToArray(), v => Assert.Equal(0f, v));
        var w = e.Weight.ToDoubleArray();
        double mean = w.Average(), std = Math.Sqrt(w.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(std, 0.95, 1.05);
        Assert.Equal("Embedding(200, 50, padding_idx=3)", e.ToString());
    }

    [Fact]
    public void EmbeddingPaddingRowGetsNoGradient()
    {
        var e = new Embedding(5, 3, paddingIdx: -1, generator: new Generator(2));
        Assert.Equal(4, e.PaddingIdx);
        var ids = Tensor.FromArray([4L, 1, 4, 1, 0], 5);
        var y = e.Forward(ids);
        Assert.Equal(new[] { 5, 3 }, y.Shape.ToArray());
        y.Sum().Backward();
        var g = e.Weight.Grad!;
        Assert.All(g.Select(0, 4).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(g.Select(0, 1).ToArray(), v => Assert.Equal(2f, v));
        Assert.All(g.Select(0, 0).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(g.Select(0, 2).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EmbeddingFromPretrainedCopiesAndFreezes()
    {
        var table = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        var frozen = Embedding.FromPretrained(table, paddingIdx: 0);
        Assert.False(frozen.Weight.RequiresGrad);
        Assert.Equal(new[] { 1f, 2, 3, 4 }, frozen.Weight.ToArray());   // the padding row is kept as given
        Assert.NotSame(table, frozen.Weight);
        Assert.True(Embedding.FromPretrained(table, freeze: false).Weight.RequiresGrad);
        Assert.Throws<ArgumentException>(() => new Embedding(3, 2, paddingIdx: 3));
        Assert.Throws<ArgumentException>(() => new Embedding(3, 2, paddingIdx: -4));
    }

    [Fact]
    public void RmsNormMatchesTheFormulaWithMachineEpsilonByDefault()
    {
        var n = new RmsNorm(4);
        Assert.Equal(["weight"], n.StateDict().Keys);
        Assert.Null(n.Eps);
        Assert.Equal("RmsNorm((4,), eps=None, elementwise_affine=True)", n.ToString());
        using (SharpAttention.Autograd.GradMode.NoGrad()) n.Weight!.CopyFrom_(Tensor.FromArray([1f, 2, 0.5f, -1], 4));
        var x = Tensor.FromArray([1f, -2, 3, 0.5f, 0, 0, 0, 0], 2, 4);
        var y = n.Forward(x).ToArray();
        double rms = Math.Sqrt((1 + 4 + 9 + 0.25) / 4 + Math.Pow(2, -23));
        var w = new[] { 1.0, 2, 0.5, -1 };
        var row = new[] { 1.0, -2, 3, 0.5 };
        for (int i = 0; i < 4; i++) Assert.Equal(row[i] / rms * w[i], y[i], 5);
        Assert.All(y[4..], v => Assert.Equal(0f, v));

        var plain = new RmsNorm([2, 4], eps: 1e-2, elementwiseAffine: false);
        Assert.Empty(plain.StateDict());
        Assert.Equal(F.RmsNorm(x, [2, 4], null, 1e-2).ToArray(), plain.Forward(x).ToArray());
    }

    sealed class Stack : Module
    {
        public Stack() => RegisterModule("layers", new ModuleList<Linear>([new Linear(2, 3), new Linear(3, 1, bias: false)]));
    }

    [Fact]
    public void ModuleListNamesEntriesByIndex()
    {
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.1.weight"], new Stack().StateDict().Keys);
        var list = new ModuleList<Linear>();
        Assert.Empty(list);
        list.Append(new Linear(1, 1));
        Assert.Single(list);
        Assert.Equal(1, list[0].InFeatures);
    }
}
