using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

/// <summary>Tensor.Where and MaskedFill: values, three-way broadcasting, gradients, dtypes and errors.</summary>
public class WhereTests
{
    [Fact]
    public void WhereSelectsElementwise()
    {
        var c = Tensor.FromArray(new[] { true, false, true });
        var x = Tensor.FromArray(new[] { 1f, 2, 3 });
        var y = Tensor.FromArray(new[] { -1f, -2, -3 });
        Assert.Equal(new float[] { 1, -2, 3 }, Tensor.Where(c, x, y).ToArray());
        Assert.Equal(new float[] { 0, -2, 0 }, Tensor.Where(c, 0, y).ToArray());
        Assert.Equal(new float[] { 1, float.NegativeInfinity, 3 }, Tensor.Where(c, x, double.NegativeInfinity).ToArray());
    }

    [Fact]
    public void WhereBroadcastsThreeWays()
    {
        var c = Tensor.FromArray(new[] { true, false }, 2, 1, 1);           // (2, 1, 1)
        var x = Tensor.FromArray(new[] { 1f, 2, 3 }, 1, 3, 1);              // (1, 3, 1)
        var y = Tensor.FromArray(new[] { 10f, 20, 30, 40 }, 4);             // (4,)
        var r = Tensor.Where(c, x, y);
        Assert.Equal([2, 3, 4], r.Shape.ToArray());
        var v = r.ToArray();
        Assert.Equal(new float[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }, v[..12]);
        Assert.Equal(new float[] { 10, 20, 30, 40, 10, 20, 30, 40, 10, 20, 30, 40 }, v[12..]);
        // torch.where(cond (2,1), x (3,), 0.)
        var r2 = Tensor.Where(Tensor.FromArray(new[] { true, false }, 2, 1), Tensor.FromArray(new[] { 1f, 2, 3 }), 0);
        Assert.Equal(new float[] { 1, 2, 3, 0, 0, 0 }, r2.ToArray());
    }

    [Fact]
    public void WhereGradCheck()
    {
        var g = new Generator(31);
        var c = Tensor.Rand([2, 3, 4], g).Lt(0.5);
        GradCheck.Check(v => Tensor.Where(c, v[0], v[1]), [Tensor.Randn([2, 3, 4], g), Tensor.Randn([2, 3, 4], g)]);
        // Broadcasting: x and y smaller than the condition; gradients sum back.
        GradCheck.Check(v => Tensor.Where(c, v[0], v[1]), [Tensor.Randn([3, 1], g), Tensor.Randn([4], g)]);
        var c31 = Tensor.FromArray(new[] { true, false, true }, 3, 1);
        GradCheck.Check(v => Tensor.Where(c31, v[0], v[1]), [Tensor.Randn([1, 4], g), Tensor.Randn([], g)]);
        GradCheck.Check(v => Tensor.Where(c, v[0], 2.0), [Tensor.Randn([1, 3, 4], g)]);
        GradCheck.Check(v => Tensor.Where(c, -1.0, v[0]), [Tensor.Randn([2, 1, 4], g)]);
        GradCheck.Check(v => Tensor.Where(Tensor.Zeros([0, 3], DType.Bool), v[0], v[1]), [Tensor.Randn([1, 3], g), Tensor.Randn([0, 1], g)]);
    }

    [Fact]
    public void WhereGradientIsRoutedByCondition()
    {
        var c = Tensor.FromArray(new[] { true, false, true });
        var x = Tensor.Ones(3).RequiresGrad_();
        var y = Tensor.Ones(3).RequiresGrad_();
        Tensor.Where(c, x, y).Backward(Tensor.FromArray(new[] { 5f, 6, 7 }));
        Assert.Equal(new float[] { 5, 0, 7 }, x.Grad!.ToArray());
        Assert.Equal(new float[] { 0, 6, 0 }, y.Grad!.ToArray());
        // A (1,)-shaped x broadcast over three positions receives the sum of the selected gradients.
        var s = Tensor.Ones(1).RequiresGrad_();
        Tensor.Where(c, s, y.Detach()).Backward(Tensor.FromArray(new[] { 5f, 6, 7 }));
        Assert.Equal(new float[] { 12 }, s.Grad!.ToArray());
    }

    [Fact]
    public void WhereDtypes()
    {
        var c = Tensor.FromArray(new[] { true, false });
        var mixed = Tensor.Where(c, Tensor.FromArray(new[] { 1f, 2 }), Tensor.FromArray(new[] { 3.0, 4 }));
        Assert.Equal(DType.Float64, mixed.DType);
        Assert.Equal(new[] { 1.0, 4 }, mixed.ToDoubleArray());
        var ints = Tensor.Where(c, Tensor.FromArray(new long[] { 1, 2 }), Tensor.FromArray(new[] { true, true }));
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal(new long[] { 1, 1 }, ints.ToInt64Array());
        Assert.Equal(DType.Float32, Tensor.Where(c, 0.5, Tensor.FromArray(new long[] { 1, 2 })).DType);
        Assert.Equal(DType.Int64, Tensor.Where(c, 7, Tensor.FromArray(new long[] { 1, 2 })).DType);
        // float32 and float64 mixed: both gradients come back in their own dtype.
        var a = Tensor.Ones(2).RequiresGrad_();
        var b = Tensor.Ones([2], DType.Float64).RequiresGrad_();
        Tensor.Where(c, a, b).Backward(Tensor.Ones([2], DType.Float64));
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(new double[] { 0, 1 }, b.Grad!.ToDoubleArray());
    }

    [Fact]
    public void WhereErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Ones(3), Tensor.Ones(3), Tensor.Ones(3)));
        Assert.Contains("where", e.Message);
        Assert.Contains("bool", e.Message);
        Assert.Contains("float32", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Where(Tensor.Zeros([2, 1], DType.Bool), Tensor.Ones(3), Tensor.Ones(4)));
        Assert.Contains("where", e.Message);
        Assert.Contains("(2,1)", e.Message);
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void MaskedFillValues()
    {
        float inf = float.PositiveInfinity;
        var x = Tensor.FromArray(new[] { -inf, -1, 0, 2, inf, float.NaN }, 2, 3);
        var m = Tensor.FromArray(new[] { true, false, true });                 // (3,) broadcast over rows
        var r = x.MaskedFill(m, double.NegativeInfinity);
        Assert.Equal(new[] { -inf, -1, -inf, -inf, inf, -inf }, r.ToArray());  // matches torch 1.13
        var col = Tensor.FromArray(new[] { false, true }, 2, 1);               // (2, 1)
        Assert.Equal(new float[] { -inf, -1, 0, 7, 7, 7 }, x.MaskedFill(col, 7).ToArray());
        // Causal mask: positions above the diagonal get -inf.
        var i = Tensor.Arange(3);
        var causal = i.Unsqueeze(1).Lt(i.Unsqueeze(0));                        // (3, 3): j > i
        var scores = Tensor.Zeros(2, 3, 3).MaskedFill(causal, double.NegativeInfinity);
        Assert.Equal([2, 3, 3], scores.Shape.ToArray());
        Assert.Equal(new[] { 0, -inf, -inf, 0, 0, -inf, 0, 0, 0 }, scores.ToArray()[9..]);
        // Other dtypes.
        Assert.Equal(new long[] { 9, 2 }, Tensor.FromArray(new long[] { 1, 2 }).MaskedFill(Tensor.FromArray(new[] { true, false }), 9).ToInt64Array());
        Assert.Equal(new[] { true, true }, Tensor.FromArray(new[] { false, true }).MaskedFill(Tensor.FromArray(new[] { true, false }), 1).ToBoolArray());
    }

    [Fact]
    public void MaskedFillGradCheck()
    {
        // Masks are drawn once, outside f: GradCheck calls f many times.
        var g = new Generator(32);
        var m34 = Tensor.Rand([3, 4], g).Lt(0.5);
        var m4 = Tensor.Rand([4], g).Lt(0.5);
        var m211 = Tensor.FromArray(new[] { true, false }, 2, 1, 1);
        GradCheck.Check(v => v[0].MaskedFill(m34, -3), [Tensor.Randn([3, 4], g)]);
        GradCheck.Check(v => v[0].MaskedFill(m4, 1e9), [Tensor.Randn([2, 3, 4], g)]);
        GradCheck.Check(v => v[0].MaskedFill(m211, 0), [Tensor.Randn([2, 1, 5], g)]);
        GradCheck.Check(v => v[0].MaskedFill(Tensor.Ones([1], DType.Bool), 0), [Tensor.Randn([0, 2], g)]);
    }

    [Fact]
    public void MaskedFillGradientIsZeroWhereFilled()
    {
        var x = Tensor.Ones(2, 2).RequiresGrad_();
        var m = Tensor.FromArray(new[] { false, true });
        x.MaskedFill(m, double.NegativeInfinity).Backward(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2));
        Assert.Equal(new float[] { 1, 0, 3, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void MaskedFillErrors()
    {
        var x = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Zeros([2, 3, 4], DType.Bool), 0));
        Assert.Contains("masked_fill", e.Message);
        Assert.Contains("(2,3,4)", e.Message);
        Assert.Contains("(3,4)", e.Message);
        Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Zeros([3], DType.Bool), 0));
        e = Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Zeros(3, 4), 0));
        Assert.Contains("bool", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1 }).MaskedFill(Tensor.Ones([1], DType.Bool), double.NegativeInfinity));
        Assert.Contains("int64", e.Message);
    }
}
