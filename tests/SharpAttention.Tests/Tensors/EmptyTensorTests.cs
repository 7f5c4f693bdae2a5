using SharpAttention.Autograd;
using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>Tensors with no elements behave as in torch: views of them are fine wherever their offset points,
/// and ops return empty results (or the empty sum/mean identities) rather than throwing.</summary>
public class EmptyTensorTests
{
    /// <summary>A (0, 2) view whose offset (2) lies past the end of its empty storage.</summary>
    static Tensor EmptyViewPastStorage() => Tensor.Zeros(0, 4).Narrow(1, 2, 2);

    [Fact]
    public void EmptyViewPastTheEndOfItsStorageReadsAndComputes()
    {
        var x = EmptyViewPastStorage();
        Assert.Equal(new[] { 0, 2 }, x.ShapeArray());
        Assert.Empty(x.ToArray());
        Assert.Empty(x.Clone().ToArray());
        Assert.Empty(x.Exp().ToArray());
        Assert.Empty((x + 1.0).ToArray());
        Assert.Empty(x.Softmax(1).ToArray());
        Assert.Equal(new float[] { 0, 0 }, x.Sum(0).ToArray());
        Assert.Equal(new[] { 0, 2 }, x.CopyFrom_(Tensor.Ones(2)).ShapeArray());
        Assert.Equal(new[] { 0, 2 }, x.Fill_(1).ShapeArray());
    }

    [Fact]
    public void EmptyViewAtTheEndOfAStorage()
    {
        var x = Tensor.Arange(5).Slice(0, 5, 10);
        Assert.Empty(x.ToArray());
        Assert.Equal(0f, x.Sum().Item());
        Assert.Empty(Tensor.Arange(5).Narrow(0, 5, 0).Contiguous().ToArray());
    }

    [Fact]
    public void ReductionsOverEmptyTensorsFollowTorch()
    {
        var e = Tensor.Zeros(0, 3);
        Assert.Equal(0f, e.Sum().Item());
        Assert.Equal(new float[] { 0, 0, 0 }, e.Sum(0).ToArray());
        Assert.Equal(new[] { 0 }, e.Sum(1).ShapeArray());
        Assert.True(float.IsNaN(e.Mean().Item()));
        Assert.All(e.Mean(0).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal(new[] { 0 }, e.Max(1).Values.ShapeArray());
        Assert.Equal(new[] { 0 }, e.ArgMax(1).ShapeArray());
        Assert.Throws<ArgumentException>(() => e.Max(0));   // torch: "Expected reduction dim 0 to have non-zero size"
        Assert.Throws<ArgumentException>(() => e.Max());
        Assert.False(e.Eq(e).Any().ToBoolArray()[0]);
        Assert.True(e.Eq(e).All().ToBoolArray()[0]);
    }

    [Fact]
    public void MatMulWithAnEmptyInnerDimIsZeros()
    {
        Assert.Equal(new float[6], Tensor.Ones(2, 0).MatMul(Tensor.Ones(0, 3)).ToArray());
        Assert.Equal(new[] { 0, 2, 3 }, Tensor.Zeros(0, 2, 2).MatMul(Tensor.Zeros(2, 3)).ShapeArray());
        Assert.Equal(new[] { 0, 4 }, F.Linear(Tensor.Zeros(0, 3), Tensor.Ones(4, 3)).ShapeArray());
    }

    [Fact]
    public void GradientsFlowThroughEmptyTensors()
    {
        var x = Tensor.Zeros(0, 3).RequiresGrad_();
        (x.Softmax(1) * 2.0).Mean(0).Sum().Backward();
        Assert.Equal(new[] { 0, 3 }, x.Grad!.ShapeArray());
        var y = Tensor.Ones(2, 3).RequiresGrad_();
        y.Narrow(1, 3, 0).Sum().Backward();
        Assert.Equal(new float[6], y.Grad!.ToArray());
    }
}
