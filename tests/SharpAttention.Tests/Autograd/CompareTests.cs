using SharpAttention.Tensors;

namespace SharpAttention.Tests.Autograd;

/// <summary>Comparisons, logical ops, any/all: values (incl. NaN), broadcasting, dtype mixing, no autograd.</summary>
public class CompareTests
{
    static readonly float NaN = float.NaN;

    [Fact]
    public void ComparisonsFollowIeeeIncludingNaN()
    {
        var a = Tensor.FromArray(new[] { 1f, 2, 3, NaN, float.NegativeInfinity });
        var b = Tensor.FromArray(new[] { 2f, 2, 2, NaN, float.NegativeInfinity });
        Assert.Equal(new[] { false, true, false, false, true }, a.Eq(b).ToBoolArray());
        Assert.Equal(new[] { true, false, true, true, false }, a.Ne(b).ToBoolArray());
        Assert.Equal(new[] { true, false, false, false, false }, a.Lt(b).ToBoolArray());
        Assert.Equal(new[] { true, true, false, false, true }, a.Le(b).ToBoolArray());
        Assert.Equal(new[] { false, false, true, false, false }, a.Gt(b).ToBoolArray());
        Assert.Equal(new[] { false, true, true, false, true }, a.Ge(b).ToBoolArray());
    }

    [Fact]
    public void ScalarRightSide()
    {
        var a = Tensor.FromArray(new[] { 1f, 2, 3, NaN });
        Assert.Equal(new[] { false, true, false, false }, a.Eq(2).ToBoolArray());
        Assert.Equal(new[] { true, false, true, true }, a.Ne(2).ToBoolArray());
        Assert.Equal(new[] { true, false, false, false }, a.Lt(2).ToBoolArray());
        Assert.Equal(new[] { true, true, false, false }, a.Le(2).ToBoolArray());
        Assert.Equal(new[] { false, false, true, false }, a.Gt(2).ToBoolArray());
        Assert.Equal(new[] { false, true, true, false }, a.Ge(2).ToBoolArray());
        // The scalar is rounded to the tensor's dtype, as in PyTorch: float32(0.1) == 0.1 on a float32 tensor.
        Assert.True(Tensor.FromArray(new[] { 0.1f }).Eq(0.1).ToBoolArray()[0]);
        Assert.False(Tensor.FromArray(new[] { (double)0.1f }).Eq(0.1).ToBoolArray()[0]);
    }

    [Fact]
    public void BroadcastingAndShapes()
    {
        var col = Tensor.FromArray(new[] { 1f, 2 }, 2, 1);   // (2, 1)
        var row = Tensor.FromArray(new[] { 0f, 1, 2 }, 3);   // (3,)
        var gt = col.Gt(row);
        Assert.Equal([2, 3], gt.Shape.ToArray());
        Assert.Equal(DType.Bool, gt.DType);
        Assert.Equal(new[] { true, false, false, true, true, false }, gt.ToBoolArray());
        Assert.Equal([0, 3], Tensor.Zeros(0, 1).Lt(row).Shape.ToArray());
        Assert.Equal([], Tensor.Scalar(1).Eq(Tensor.Scalar(1)).Shape.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Lt(Tensor.Zeros(4)));
        Assert.Contains("lt", e.Message);
        Assert.Contains("(2,3)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void NonContiguousOperands()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        var t = x.T; // (3, 2), strided
        Assert.Equal(new[] { false, true, false, true, true, true }, t.Ge(2).ToBoolArray());
        Assert.Equal(new[] { true, true, true, true, true, true }, t.Eq(x.Contiguous().T.Contiguous()).ToBoolArray());
    }

    [Fact]
    public void MixedDtypesArePromoted()
    {
        var ints = Tensor.FromArray(new long[] { 1, 2, 3 });
        Assert.Equal(new[] { false, false, true }, ints.Gt(2.5).ToBoolArray());
        Assert.Equal(new[] { false, true, false }, ints.Eq(2).ToBoolArray());
        Assert.Equal(new[] { true, true, false }, ints.Lt(Tensor.FromArray(new[] { 1.5f, 2.5f, 2.5f })).ToBoolArray());
        Assert.Equal(new[] { true, false, false }, Tensor.FromArray(new[] { 1f, 2, 3 }).Eq(Tensor.FromArray(new[] { 1.0, 2.5, 2 })).ToBoolArray());
        var bools = Tensor.FromArray(new[] { true, false });
        Assert.Equal(new[] { true, false }, bools.Eq(1).ToBoolArray());
        Assert.Equal(new[] { false, true }, bools.Eq(Tensor.FromArray(new[] { false, false })).ToBoolArray());
    }

    [Fact]
    public void ResultsCarryNoGradient()
    {
        var x = Tensor.Randn(3).RequiresGrad_();
        var y = x.Gt(0);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.False(x.Lt(x).RequiresGrad);
    }

    [Fact]
    public void LogicalOps()
    {
        var a = Tensor.FromArray(new[] { true, true, false, false });
        var b = Tensor.FromArray(new[] { true, false, true, false });
        Assert.Equal(new[] { true, false, false, false }, a.LogicalAnd(b).ToBoolArray());
        Assert.Equal(new[] { true, true, true, false }, a.LogicalOr(b).ToBoolArray());
        Assert.Equal(new[] { false, false, true, true }, a.LogicalNot().ToBoolArray());
        // Broadcasting: (2, 1) with (2,).
        var col = Tensor.FromArray(new[] { true, false }, 2, 1);
        var row = Tensor.FromArray(new[] { true, false });
        Assert.Equal(new[] { true, false, false, false }, col.LogicalAnd(row).ToBoolArray());
        Assert.Equal(new[] { true, true, true, false }, col.LogicalOr(row).ToBoolArray());
        // Non-bool inputs: nonzero (and NaN) is true, as in torch.
        Assert.Equal(new[] { true, false, false }, Tensor.FromArray(new[] { 0f, NaN, -2 }).LogicalNot().ToBoolArray());
        Assert.Equal(new[] { false, true }, Tensor.FromArray(new long[] { 0, 5 }).LogicalAnd(Tensor.FromArray(new[] { 1.0, 1 })).ToBoolArray());
        // Strided input.
        var m = Tensor.FromArray(new[] { true, false, false, false }, 2, 2).T;
        Assert.Equal(new[] { false, true, true, true }, m.LogicalNot().ToBoolArray());
        Assert.Throws<ArgumentException>(() => a.LogicalAnd(Tensor.FromArray(new[] { true, false, true })));
    }

    [Fact]
    public void AnyAndAll()
    {
        var some = Tensor.FromArray(new[] { false, true, false });
        var none = Tensor.FromArray(new[] { false, false });
        var every = Tensor.FromArray(new[] { true, true });
        Assert.True(some.Any().ToBoolArray()[0]);
        Assert.False(some.All().ToBoolArray()[0]);
        Assert.False(none.Any().ToBoolArray()[0]);
        Assert.True(every.All().ToBoolArray()[0]);
        Assert.Equal(DType.Bool, some.Any().DType);
        Assert.Equal(0, some.Any().Dim);
        // Empty: any is false, all is true.
        var empty = Tensor.Zeros([0], DType.Bool);
        Assert.False(empty.Any().ToBoolArray()[0]);
        Assert.True(empty.All().ToBoolArray()[0]);
        // Non-bool and strided inputs.
        Assert.True(Tensor.FromArray(new[] { 0f, NaN }).Any().ToBoolArray()[0]);
        Assert.False(Tensor.FromArray(new[] { 1f, 0 }).All().ToBoolArray()[0]);
        var strided = Tensor.FromArray(new[] { true, false, true, false }, 2, 2).T.Narrow(0, 0, 1); // [true, true]
        Assert.True(strided.All().ToBoolArray()[0]);
    }
}
