using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>Dim-taking ops on 0-d tensors follow torch: a scalar has one nameable dim (0 or -1) where torch allows
/// it, and anything else is a clear error rather than an IndexOutOfRangeException from inside the op.</summary>
public class ZeroDimTests
{
    static Tensor S() => Tensor.Scalar(2);

    /// <summary>torch's wording for a bad dim on a 0-d tensor.</summary>
    static void OutOfRange(Action action, int dim)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(action);
        Assert.Contains($"dimension out of range (expected to be in range of [-1, 0], but got {dim})", e.Message);
    }

    [Fact]
    public void DimZeroOrMinusOneIsAllowedWhereTorchAllowsIt()
    {
        Assert.Equal(0, S().Transpose(0, -1).Dim);
        Assert.Equal(0, S().Squeeze(-1).Dim);
        Assert.Equal(new[] { 1 }, S().Flatten(-1, 0).ShapeArray());
        Assert.Equal(new[] { 1 }, S().Unsqueeze(-1).ShapeArray());
        Assert.Equal(2f, S().Sum(0).Item());
        Assert.Equal(2f, S().Mean(-1).Item());
        Assert.Equal(1f, S().Softmax(0).Item());
        Assert.Equal(0f, S().LogSoftmax(-1).Item());
        Assert.Equal(2f, S().Max(0).Values.Item());
        Assert.Equal(0f, S().ArgMax(-1).Item());
        Assert.Equal(new[] { 2 }, Tensor.Stack([S(), S()], -1).ShapeArray());
    }

    [Fact]
    public void OtherDimsAreOutOfRange()
    {
        OutOfRange(() => S().Transpose(1, 0), 1);
        OutOfRange(() => S().Transpose(0, -2), -2);
        OutOfRange(() => S().Squeeze(1), 1);
        OutOfRange(() => S().Flatten(1), 1);
        OutOfRange(() => S().Unsqueeze(1), 1);
        OutOfRange(() => S().Sum(1), 1);
        OutOfRange(() => S().Softmax(1), 1);
        OutOfRange(() => S().LogSoftmax(-2), -2);
        OutOfRange(() => S().Max(1), 1);
        OutOfRange(() => S().ArgMax(1), 1);
        OutOfRange(() => S().Var(1), 1);
        OutOfRange(() => S().IndexSelect(1, Tensor.FromArray(new long[] { 0 })), 1);
        OutOfRange(() => Tensor.Stack([S(), S()], 1), 1);
    }

    [Fact]
    public void SizeOfAScalarSaysItHasNoDimensions()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => S().Size(0));
        Assert.Contains("dimension specified as 0 but tensor has no dimensions", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => S().Size(-1));
    }

    [Fact]
    public void NarrowSelectAndSliceRefuseScalars()
    {
        Assert.Contains("narrow() cannot be applied to a 0-dim tensor", Assert.Throws<ArgumentException>(() => S().Narrow(0, 0, 1)).Message);
        Assert.Contains("select() cannot be applied to a 0-dim tensor", Assert.Throws<ArgumentException>(() => S().Select(0, 0)).Message);
        Assert.Contains("slice() cannot be applied to a 0-dim tensor", Assert.Throws<ArgumentException>(() => S().Slice(1, 0, 1)).Message);
    }

    [Fact]
    public void ARepeatedDimIsAnErrorOnScalarsToo()
    {
        var e = Assert.Throws<ArgumentException>(() => S().Sum([0, -1]));
        Assert.Contains("appears multiple times", e.Message);
    }

    [Fact]
    public void IndexSelectOnAScalarPicksItsOnlyElement()
    {
        var x = Tensor.Scalar(2).RequiresGrad_();
        var y = x.IndexSelect(0, Tensor.FromArray(new long[] { 0 }));
        Assert.Equal(0, y.Dim);
        Assert.Equal(2f, y.Item());
        (y * 3.0).Backward();
        Assert.Equal(3f, x.Grad!.Item());
        Assert.Equal(0, S().IndexSelect(-1, Tensor.FromArray(new long[] { 0 }, [])).Dim);
        Assert.Throws<IndexOutOfRangeException>(() => S().IndexSelect(0, Tensor.FromArray(new long[] { 1 })));
        Assert.Throws<ArgumentException>(() => S().IndexSelect(0, Tensor.FromArray(new long[] { 0, 0 })));
    }
}
