using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

public class ViewTests
{
    static Tensor Seq(params int[] shape) => Tensor.Arange(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Reshape(shape);

    [Fact]
    public void TransposeSharesStorageAndReadsTransposed()
    {
        var x = Seq(2, 3);
        var t = x.Transpose(0, 1);
        Assert.Equal(new[] { 3, 2 }, t.ShapeArray());
        Assert.False(t.IsContiguous);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToArray());
        Assert.Same(x.Storage, t.Storage);
        Assert.True(t.Contiguous().IsContiguous);
    }

    [Fact]
    public void NarrowSliceSelectExpand()
    {
        var x = Seq(3, 4);
        Assert.Equal(new float[] { 4, 5, 6, 7, 8, 9, 10, 11 }, x.Narrow(0, 1, 2).ToArray());
        Assert.Equal(new float[] { 1, 3, 5, 7, 9, 11 }, x.Slice(1, 1, 4, 2).ToArray());
        Assert.Equal(new float[] { 2, 6, 10 }, x.Select(1, 2).ToArray());
        Assert.Equal(new float[] { 8, 9, 10, 11 }, x.Select(0, -1).ToArray());
        var e = Tensor.FromArray(new float[] { 1, 2 }, 2, 1).Expand(2, 3);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2 }, e.ToArray());
        Assert.Equal(0, e.Strides[1]);
    }

    [Fact]
    public void UnsqueezeSqueezeFlattenReshape()
    {
        var x = Seq(2, 3).Transpose(0, 1); // (3,2), non-contiguous
        var u = x.Unsqueeze(1);
        Assert.Equal(new[] { 3, 1, 2 }, u.ShapeArray());
        Assert.Equal(x.ToArray(), u.ToArray());
        Assert.Equal(new[] { 3, 2 }, u.Squeeze().ShapeArray());
        Assert.Equal(new[] { 6 }, x.Flatten().ShapeArray());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, x.Reshape(-1).ToArray());
        Assert.Equal(new[] { 2, 3 }, Seq(6).View(2, -1).ShapeArray());
    }

    [Fact]
    public void ViewOfNonContiguousAndBadShapesThrowClearErrors()
    {
        var x = Seq(2, 3).Transpose(0, 1);
        var e = Assert.Throws<InvalidOperationException>(() => x.View(6));
        Assert.Contains("Reshape", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => Seq(2, 3).View(4, -1));
        Assert.Contains("(4,-1)", e2.Message);
        Assert.Contains("(2,3)", e2.Message);
        Assert.Throws<ArgumentException>(() => Seq(2, 3).Expand(4, 3));
    }

    [Fact]
    public void ExpandRejectsNegativeSizesLikeTorch()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1).Expand(-2));
        Assert.Contains("(-2)", e.Message);
        Assert.Contains("must be non-negative", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1, 3).Expand(2, -3));
        Assert.Contains("(-3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(1).Expand(-1, 3));
        Assert.Contains("isn't allowed in a leading, non-existing dimension 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2).Expand(0));
        Assert.Contains("must match the existing size (2) at non-singleton dimension 0", e.Message);
        Assert.Equal(new[] { 2, 0 }, Tensor.Zeros(0).Expand(2, -1).ShapeArray());
        Assert.Equal(new[] { 0 }, Tensor.Zeros(1).Expand(0).ShapeArray());
    }

    [Fact]
    public void NarrowArithmeticCannotOverflow()
    {
        var x = Seq(5);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 2, int.MaxValue));
        Assert.Contains("start (2) + length (2147483647) exceeds dimension 0 of size 5", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, int.MaxValue, 10));
        Assert.Contains("start 2147483647 is out of range", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, int.MinValue, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(0, 6, 0));
        Assert.Empty(x.Narrow(0, 5, 0).ToArray());
        Assert.Equal(new float[] { 0, 1 }, x.Narrow(0, -5, 2).ToArray());
    }

    [Fact]
    public void SliceWithHugeBoundsOrStepClampsLikePython()
    {
        var x = Seq(5);
        Assert.Equal(new float[] { 0 }, x.Slice(0, 0, 5, int.MaxValue).ToArray());
        Assert.Equal(new float[] { 1 }, x.Slice(0, 1, int.MaxValue, int.MaxValue).ToArray());
        Assert.Equal(new float[] { 0, 2, 4 }, x.Slice(0, int.MinValue, int.MaxValue, 2).ToArray());
        Assert.Empty(x.Slice(0, int.MaxValue, int.MinValue).ToArray());
        Assert.Throws<ArgumentException>(() => x.Slice(0, 0, 5, 0));
    }

    [Fact]
    public void ViewGradientsMatchFiniteDifferences()
    {
        var x = Tensor.Randn([2, 3, 4], new Generator(3));
        GradCheck.Check(v => v[0].Transpose(0, 2).Narrow(1, 1, 2).Reshape(4, 4).Mul(v[0].Select(1, 0).Reshape(4, 2).Narrow(1, 0, 1)), [x]);
        GradCheck.Check(v => v[0].Slice(2, 0, 4, 2).Unsqueeze(0).Expand(3, 2, 3, 2).Squeeze(0), [x]);
        GradCheck.Check(v => v[0].Permute(2, 0, 1).Contiguous().Flatten(1), [x]);
    }
}
