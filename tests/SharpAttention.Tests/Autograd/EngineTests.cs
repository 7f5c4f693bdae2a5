using SharpAttention.Autograd;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class EngineTests
{
    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3 }).RequiresGrad_();
        (x * 2.0).Backward(Tensor.Ones(3));
        (x * 3.0).Backward(Tensor.Ones(3));
        Assert.Equal(new float[] { 5, 5, 5 }, x.Grad!.ToArray());
    }

    [Fact]
    public void SharedSubexpressionGetsBothContributions()
    {
        var x = Tensor.FromArray(new float[] { 2 }).RequiresGrad_();
        var y = x * x;       // dy/dx = 2x = 4
        var z = y * x + y;   // z = x³ + x², dz/dx = 3x² + 2x = 16
        z.Backward();
        Assert.Equal(16f, x.Grad!.Item());
    }

    /// <summary>Slices of a non-leaf add their gradients into one buffer, and sums of gradients are made in place:
    /// q/k/v column splits, an overlapping and a stepped slice, a slice along another dim and direct consumers, in
    /// float32 (the row-wise path) against the same graph in float64 (the general path, finite-difference checked).</summary>
    [Fact]
    public void SlicesAndSharedInputsAccumulateExactly()
    {
        static Tensor F(Tensor x)
        {
            var h = x * 2.0;                                                         // (3, 4, 12), a non-leaf
            var qkv = h.Split(4, -1);
            return (qkv[0] * qkv[1]).Sum() + (qkv[2] * qkv[2]).Sum() + h.Slice(-1, 2, 6).Exp().Sum()
                   + h.Slice(-1, 0, 12, 3).Sum() * 3.0 + h.Slice(1, 1, 3).Tanh().Sum() + h.Pow(2).Mean() + h.Sum();
        }
        var g = new Generator(3);
        var x64 = (Tensor.Randn([3, 4, 12], g) * 0.5).To(DType.Float64);
        GradCheck.Check(v => F(v[0]), [x64]);
        var x = x64.To(DType.Float32).RequiresGrad_();
        F(x).Backward();
        var leaf64 = x64.Detach().RequiresGrad_();
        F(leaf64).Backward();
        var expected = leaf64.Grad!.ToDoubleArray();
        var actual = x.Grad!.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * (1 + Math.Abs(expected[i])), $"grad[{i}]: {actual[i]} vs {expected[i]}");
    }

    /// <summary>AddBackward hands one gradient tensor to both inputs; u then also gets a slice's and a product's
    /// gradients, which must not reach v.</summary>
    [Fact]
    public void ASharedGradientIsNotAddedIntoInPlace()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3 }).RequiresGrad_();
        var b = Tensor.FromArray(new float[] { 4, 5, 6 }).RequiresGrad_();
        var u = a * 1.0;
        var v = b * 1.0;
        var s = u + v;                      // AddBackward hands the same gradient to u and v
        var loss = s.Sum() + u.Slice(0, 0, 2).Sum() * 10.0 + (u * u).Sum();
        loss.Backward();
        Assert.Equal(new float[] { 1 + 10 + 2, 1 + 10 + 4, 1 + 6 }, a.Grad!.ToArray());
        Assert.Equal(new float[] { 1, 1, 1 }, b.Grad!.ToArray());
    }

    [Fact]
    public void InPlaceAddOfContiguousFloatsIsOnePass()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 });
        int version = x.Storage.Version;
        x.Add_(Tensor.FromArray(new float[] { 10, 20, 30, 40 }));
        Assert.Equal(new float[] { 11, 22, 33, 44 }, x.ToArray());
        x.Add_(x);
        Assert.Equal(new float[] { 22, 44, 66, 88 }, x.ToArray());
        Assert.True(x.Storage.Version > version);
        var view = x.Reshape(2, 2).Slice(1, 1, 2);   // non-contiguous: the general path
        view.Add_(Tensor.FromArray(new float[] { 1, 1 }, 2, 1));
        Assert.Equal(new float[] { 22, 45, 66, 89 }, x.ToArray());
    }

    [Fact]
    public void NonLeafGradIsNotKeptUnlessRetained()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var y = x * 2.0;
        var z = y * 3.0;
        y.RetainGrad();
        z.Backward(Tensor.Ones(2));
        Assert.Equal(new float[] { 3, 3 }, y.Grad!.ToArray());
        Assert.False(y.IsLeaf);
        Assert.True(x.IsLeaf);
        Assert.Null(z.Grad);
    }

    [Fact]
    public void SecondBackwardThroughReleasedGraphThrows()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.Ones(2));
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(2)));
        Assert.Contains("second time", e.Message);
    }

    [Fact]
    public void RetainGraphAllowsSecondBackward()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var y = x * x;
        y.Backward(Tensor.Ones(2), retainGraph: true);
        y.Backward(Tensor.Ones(2));
        Assert.Equal(new float[] { 4, 8 }, x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradDetachAndErrors()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        using (GradMode.NoGrad())
        {
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
        }
        Assert.False(x.Detach().RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward()); // non-scalar without gradient
        Assert.Throws<InvalidOperationException>(() => Tensor.Ones(1).Backward()); // does not require grad
        Assert.Throws<InvalidOperationException>(() => x.Fill_(0));               // in-place on a leaf needing grad
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new long[] { 1 }).RequiresGrad_());
    }

    [Fact]
    public void RequiresGradOnANonLeafMayOnlyBeSetTrueAsInTorch()
    {
        var x = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var y = x * 2.0;
        Assert.Same(y, y.RequiresGrad_());          // already requires grad: a no-op, as torch allows
        y.RequiresGrad = true;
        Assert.NotNull(y.GradFn);
        var e = Assert.Throws<InvalidOperationException>(() => y.RequiresGrad_(false));
        Assert.Contains("you can only change requires_grad flags of leaf variables", e.Message);
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.True(y.RequiresGrad);
        y.Sum().Backward();
        Assert.Equal(new float[] { 2, 2 }, x.Grad!.ToArray());
        Assert.False(Tensor.FromArray(new long[] { 1 }).RequiresGrad_(false).RequiresGrad);
    }

    [Fact]
    public void InPlaceWriteToSavedTensorIsDetected()
    {
        var a = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var b = Tensor.FromArray(new float[] { 3, 4 });
        var y = a * b;
        b.Fill_(0);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(2)));
        Assert.Contains("modified by an inplace operation", e.Message);
    }

    [Fact]
    public void BroadcastingArithmeticGradients()
    {
        var g = new Generator(7);
        var a = Tensor.Randn([3, 1, 4], g);
        var b = Tensor.Randn([2, 1], g);
        var c = Tensor.Uniform([4], 1, 2, g);
        GradCheck.Check(v => (v[0] + v[1]) * v[0] - v[1] / v[2], [a, b, c]);
        GradCheck.Check(v => -(v[0] * 2.5) / 3.0 + 1.0, [a]);
        GradCheck.Check(v => v[0] * v[1], [Tensor.Randn([0, 3], g), Tensor.Randn([1, 3], g)]);
    }

    [Fact]
    public void MismatchedShapesNameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        Assert.Contains("add", e.Message);
        Assert.Contains("(2,3)", e.Message);
        Assert.Contains("(4,)", e.Message);
    }

    [Fact]
    public void ToStringLooksLikePyTorch()
    {
        Assert.Equal("tensor([[1., 2.],\n        [3., 4.]])", Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2).ToString());
        Assert.Equal("tensor([ 0.5000, -1.2500], requires_grad=True)", Tensor.FromArray(new float[] { 0.5f, -1.25f }).RequiresGrad_().ToString());
        var y = Tensor.FromArray(new float[] { 1 }).RequiresGrad_() * 2.0;
        Assert.Equal("tensor([2.], grad_fn=<MulBackward0>)", y.ToString());
        Assert.Equal("tensor([], size=(0, 3))", Tensor.Zeros(0, 3).ToString());
        Assert.Contains("...", Tensor.Zeros(40, 40).ToString());
    }
}
