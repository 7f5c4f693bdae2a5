using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class NormalizationTests
{
    static readonly double[] X = [1, 2, 4, 0, -1, 3];
    static readonly double[] Dy = [1, 0, -1, 0.5, 2, 1];

    static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64);

    [Fact]
    public void LayerNormHandWorkedAgainstTorch()
    {
        var x = Tensor.FromArray(X, 2, 3).RequiresGrad_();
        var w = Tensor.FromArray(new double[] { 1, 2, 3 }).RequiresGrad_();
        var b = Tensor.FromArray(new double[] { 0.5, 0, -0.5 }).RequiresGrad_();
        var y = F.LayerNorm(x, [3], w, b);
        Assert.Equal("LayerNormBackward0", y.GradFn!.Name);
        AssertClose([-0.5690415314502979, -0.5345207657251492, 3.5089057429386155,
                     0.1077684085854142, -1.961157957072929, 3.6184317098531498], y);
        y.Backward(Tensor.FromArray(Dy, 2, 3));
        AssertClose([-0.11453083730198621, 0.1718125778214339, -0.05728174051944901,
                     -1.1766947742437572, 0.8825210806828179, 0.29417369356093936], x.Grad!);
        AssertClose([-1.2651573271575909, -1.961157957072929, 0.03650865563817818], w.Grad!);
        AssertClose([1.5, 2.0, 0.0], b.Grad!);
    }

    [Fact]
    public void RmsNormHandWorkedAgainstTorchFormula()
    {
        // torch: x * rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w, float64.
        var x = Tensor.FromArray(X, 2, 3).RequiresGrad_();
        var w = Tensor.FromArray(new double[] { 1, 2, 3 });
        var y = F.RmsNorm(x, [3], w, 1e-6);
        AssertClose([0.3779644460117677, 1.5118577840470708, 4.5355733521412125, 0.0, -1.095444950693602, 4.929502278121209], y);
        y.Backward(Tensor.FromArray(Dy, 2, 3));
        AssertClose([0.5759457942110724, 0.3959626963986094, -0.34196794523808427,
                     0.2738612376734005, 2.4647510569022577, 0.8215839594952414], x.Grad!);
    }

    [Fact]
    public void RmsNormDefaultEpsIsMachineEpsilonOfTheDtype()
    {
        // Tiny inputs make eps visible: y = x / √(x² + eps) for a single element.
        Assert.Equal(1e-4 / Math.Sqrt(1e-8 + Math.Pow(2, -23)), F.RmsNorm(Tensor.FromArray(new float[] { 1e-4f }), [1]).Item(), 5);
        Assert.Equal(1e-8 / Math.Sqrt(1e-16 + Math.Pow(2, -52)), F.RmsNorm(Tensor.FromArray(new double[] { 1e-8 }), [1]).ItemDouble(), 12);
    }

    [Fact]
    public void LayerNormGradients()
    {
        var g = new Generator(41);
        var x = Randn(g, 3, 4, 5);
        GradCheck.Check(v => F.LayerNorm(v[0], [5], v[1], v[2]), [x, Randn(g, 5), Randn(g, 5)]);
        GradCheck.Check(v => F.LayerNorm(v[0], [4, 5], v[1], v[2]), [x, Randn(g, 4, 5), Randn(g, 4, 5)]);
        GradCheck.Check(v => F.LayerNorm(v[0], [5]), [x]);
        GradCheck.Check(v => F.LayerNorm(v[0], [5], v[1]), [x, Randn(g, 5)]);
        GradCheck.Check(v => F.LayerNorm(v[0], [5], bias: v[1]), [x, Randn(g, 5)]);
        GradCheck.Check(v => F.LayerNorm(v[0], [3, 4, 5], eps: 1e-3), [x]);
        GradCheck.Check(v => F.LayerNorm(v[0].Transpose(0, 2), [3], v[1], v[2]), [x, Randn(g, 3), Randn(g, 3)]); // strided x
        GradCheck.Check(v => F.LayerNorm(v[0], [1], v[1], v[2]), [Randn(g, 4, 1), Randn(g, 1), Randn(g, 1)]); // size-1 rows
        GradCheck.Check(v => F.LayerNorm(v[0], [5], v[1], v[2]), [Randn(g, 0, 5), Randn(g, 5), Randn(g, 5)]); // no rows
        // Only the parameters need gradients: dx is skipped.
        GradCheck.Check(v => F.LayerNorm(x, [5], v[0], v[1]), [Randn(g, 5), Randn(g, 5)]);
    }

    [Fact]
    public void RmsNormGradients()
    {
        var g = new Generator(42);
        var x = Randn(g, 3, 4, 5);
        GradCheck.Check(v => F.RmsNorm(v[0], [5], v[1]), [x, Randn(g, 5)]);
        GradCheck.Check(v => F.RmsNorm(v[0], [4, 5], v[1], 1e-3), [x, Randn(g, 4, 5)]);
        GradCheck.Check(v => F.RmsNorm(v[0], [5]), [x]);
        GradCheck.Check(v => F.RmsNorm(v[0].Transpose(1, 2), [4]), [x]);
        GradCheck.Check(v => F.RmsNorm(v[0], [1], v[1]), [Randn(g, 4, 1), Randn(g, 1)]);
        GradCheck.Check(v => F.RmsNorm(v[0], [5], v[1]), [Randn(g, 0, 5), Randn(g, 5)]);
        GradCheck.Check(v => F.RmsNorm(x, [5], v[0]), [Randn(g, 5)]);
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var g = new Generator(43);
        var x = Randn(g, 7, 33).Mul(3).Add(10);
        var w = Randn(g, 33);
        var b = Randn(g, 33);
        AssertClose(F.LayerNorm(x, [33], w, b).ToDoubleArray(), F.LayerNorm(x.Float(), [33], w.Float(), b.Float()), 1e-5);
        AssertClose(F.RmsNorm(x, [33], w, 1e-6).ToDoubleArray(), F.RmsNorm(x.Float(), [33], w.Float(), 1e-6), 1e-5);
    }

    [Fact]
    public void ErrorsNameTheOpAndShapes()
    {
        var x = Tensor.Zeros(2, 3);
        var shape = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [4]));
        Assert.Contains("layer_norm: input of shape (2,3) does not end with normalized_shape (4,)", shape.Message);
        var tooLong = Assert.Throws<ArgumentException>(() => F.RmsNorm(x, [1, 2, 3]));
        Assert.Contains("rms_norm", tooLong.Message);
        var weight = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [3], Tensor.Ones(2)));
        Assert.Contains("layer_norm: weight of shape (2,) does not match normalized_shape (3,)", weight.Message);
        var bias = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [3], Tensor.Ones(3), Tensor.Ones(1, 3)));
        Assert.Contains("bias of shape (1,3)", bias.Message);
        var rmsWeight = Assert.Throws<ArgumentException>(() => F.RmsNorm(x, [3], Tensor.Ones(4)));
        Assert.Contains("rms_norm: weight of shape (4,)", rmsWeight.Message);
        var dtype = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, [3], Tensor.Ones([3], DType.Float64)));
        Assert.Contains("float64", dtype.Message);
        var empty = Assert.Throws<ArgumentException>(() => F.LayerNorm(x, []));
        Assert.Contains("at least one dimension", empty.Message);
        Assert.Throws<ArgumentException>(() => F.LayerNorm(Tensor.FromArray(new long[] { 1, 2 }), [2]));
    }

    static void AssertClose(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol * (1 + Math.Abs(expected[i])), $"at {i}: expected {expected[i]:R}, got {a[i]:R}");
    }
}
