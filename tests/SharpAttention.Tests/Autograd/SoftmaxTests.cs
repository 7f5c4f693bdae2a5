using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class SoftmaxTests
{
    static readonly double[] X = [1, 2, 3, 4, 6, 8];
    static readonly double[] Dy = [1, 0, -1, 0.5, 2, 1];

    [Fact]
    public void SoftmaxHandWorkedAgainstTorch()
    {
        // torch.tensor([[1,2,3],[4,6,8]], dtype=float64).softmax(1) / .softmax(0)
        var x = Tensor.FromArray(X, 2, 3);
        AssertClose([0.09003057317038045, 0.2447284710547976, 0.6652409557748218,
                     0.015876239976466765, 0.11731042782619838, 0.8668133321973349], x.Softmax(1));
        AssertClose([0.04742587317756679, 0.017986209962091555, 0.006692850924284856,
                     0.9525741268224334, 0.9820137900379085, 0.9933071490757153], x.Softmax(0));
        AssertClose([-2.4076059644443806, -1.4076059644443804, -0.4076059644443804,
                     -4.142931628499899, -2.1429316284998996, -0.1429316284998995], F.LogSoftmax(x, -1));
        AssertClose(x.Softmax(1).ToDoubleArray(), x.Float().Softmax(1), 1e-6);
        Assert.True(x.Softmax(0).IsContiguous);
    }

    [Fact]
    public void BackwardHandWorkedAgainstTorch()
    {
        var x = Tensor.FromArray(X, 2, 3).RequiresGrad_();
        x.Softmax(1).Backward(Tensor.FromArray(Dy, 2, 3));
        AssertClose([0.14181709360981212, 0.1407703574696301, -0.2825874510794423,
                     -0.009674540994248915, 0.10447991560138802, -0.09480537460713925], x.Grad!);
        x.Grad = null;
        var y = F.LogSoftmax(x, 0);
        Assert.Equal("LogSoftmaxBackward0", y.GradFn!.Name);
        y.Backward(Tensor.FromArray(Dy, 2, 3));
        AssertClose([0.9288611902336499, -0.035972419924183124, -1.0, -0.9288611902336499, 0.0359724199241831, 1.0], x.Grad!);
    }

    [Fact]
    public void HugeLogitsAndMaskedEntries()
    {
        var big = Tensor.FromArray(new float[] { 1000, -1000, 0 });
        Assert.Equal(new float[] { 1, 0, 0 }, big.Softmax(0).ToArray());
        Assert.Equal(new float[] { 0, -2000, -1000 }, big.LogSoftmax(0).ToArray());

        // A masked (−inf) position gets probability 0 and, for softmax, no gradient; torch 1.13 gives these values.
        float ninf = float.NegativeInfinity;
        var x = Tensor.FromArray(new float[] { ninf, 0, 1 }).RequiresGrad_();
        var dy = Tensor.FromArray(new float[] { 1, 2, 3 });
        x.Softmax(0).Backward(dy);
        AssertClose([0, -0.19661193, 0.19661193], x.Grad!, 1e-6);
        x.Grad = null;
        var ls = x.LogSoftmax(0);
        Assert.Equal(ninf, ls.ToArray()[0]);
        ls.Backward(dy);
        AssertClose([1, 0.3863514717800294, -1.386351471780029], x.Grad!, 1e-6);

        // A fully masked row has no distribution: NaN, as torch gives (documented on Tensor.Softmax).
        var masked = Tensor.FromArray(new float[] { ninf, ninf, 0, 1 }, 2, 2);
        var p = masked.Softmax(1).ToArray();
        Assert.True(float.IsNaN(p[0]) && float.IsNaN(p[1]));
        Assert.Equal(1f, p[2] + p[3], 6);
        Assert.True(masked.LogSoftmax(1).ToArray().Take(2).All(float.IsNaN));
        Assert.True(Tensor.FromArray(new float[] { float.PositiveInfinity, 1 }).Softmax(0).ToArray().All(float.IsNaN));
    }

    [Fact]
    public void Gradients()
    {
        var g = new Generator(31);
        var x = Tensor.Randn([3, 4, 5], g, DType.Float64);
        foreach (int dim in new[] { 0, 1, 2, -1, -3 })
        {
            GradCheck.Check(v => v[0].Softmax(dim), [x]);
            GradCheck.Check(v => v[0].LogSoftmax(dim), [x]);
        }
        GradCheck.Check(v => v[0].Transpose(0, 2).Softmax(-1) + v[0].Transpose(0, 2).LogSoftmax(1), [x]); // strided input
        GradCheck.Check(v => F.Softmax(v[0], 0) + F.LogSoftmax(v[0], 1), [Tensor.Randn([1, 5], g, DType.Float64)]);
        GradCheck.Check(v => v[0].Softmax(1) + v[0].LogSoftmax(0), [Tensor.Randn([0, 4], g, DType.Float64)]);
        GradCheck.Check(v => v[0].Softmax(0) * v[0].LogSoftmax(-1), [Tensor.Scalar(0.3, DType.Float64)]);
        // Large logits stay differentiable (no overflow in the forward the finite differences use).
        GradCheck.Check(v => v[0].LogSoftmax(1), [Tensor.Randn([2, 6], g, DType.Float64).Mul(50).Add(1000)]);
    }

    [Fact]
    public void ZeroDimAndEmpty()
    {
        Assert.Equal(1f, Tensor.Scalar(2).Softmax(0).Item());
        Assert.Equal(0f, Tensor.Scalar(2).LogSoftmax(-1).Item());
        Assert.Equal(new[] { 3, 0 }, Tensor.Zeros(3, 0).Softmax(1).ShapeArray());
    }

    [Fact]
    public void InPlaceChangeOfOutputIsDetected()
    {
        var x = Tensor.Randn(2, 3).RequiresGrad_();
        var y = x.Softmax(-1);
        using (SharpAttention.Autograd.GradMode.NoGrad()) y.Fill_(0);
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(2, 3)));
        Assert.Contains("modified by an inplace operation", e.Message);
    }

    [Fact]
    public void Errors()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Softmax(2));
        Assert.Contains("softmax", range.Message);
        Assert.Contains("[-2, 1]", range.Message);
        var dtype = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }).LogSoftmax(0));
        Assert.Contains("log_softmax", dtype.Message);
        Assert.Contains("int64", dtype.Message);
    }

    static void AssertClose(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol * (1 + Math.Abs(expected[i])), $"at {i}: expected {expected[i]:R}, got {a[i]:R}");
    }
}
