using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

/// <summary>F.LinearActivation, the fused Linear + activation, against its composed twin and finite differences.</summary>
public class LinearActivationTests
{
    static Tensor Composed(Tensor x, Tensor w, Tensor? b, string activation) => activation switch
    {
        "gelu" => F.Linear(x, w, b).Gelu(),
        "gelu_tanh" => F.Linear(x, w, b).Gelu("tanh"),
        _ => F.Linear(x, w, b).Relu(),
    };

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("relu")]
    public void MatchesTheComposedOpsForwardAndBackward(string activation)
    {
        var g = new Generator(5);
        foreach (bool withBias in new[] { true, false })
            foreach (int[] xs in new[] { new[] { 37, 19 }, [3, 5, 19], [19] })
            {
                var x = Tensor.Randn(xs, g);
                var w = Tensor.Randn([23, 19], g);
                var b = withBias ? Tensor.Randn([23], g) : null;
                var up = Tensor.Randn([.. xs[..^1], 23], g);

                var (x1, w1, b1) = (x.Clone().RequiresGrad_(), w.Clone().RequiresGrad_(), b?.Clone().RequiresGrad_());
                var fused = F.LinearActivation(x1, w1, b1, activation);
                fused.Backward(up);
                var (x2, w2, b2) = (x.Clone().RequiresGrad_(), w.Clone().RequiresGrad_(), b?.Clone().RequiresGrad_());
                var composed = Composed(x2, w2, b2, activation);
                composed.Backward(up);

                Assert.Equal(composed.ShapeArray(), fused.ShapeArray());
                Close(composed, fused, "y");
                Close(x2.Grad!, x1.Grad!, "dx");
                Close(w2.Grad!, w1.Grad!, "dw");
                if (withBias) Close(b2!.Grad!, b1!.Grad!, "db");
            }
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("relu")]
    public void GradCheck(string activation)
    {
        var g = new Generator(6);
        Support.GradCheck.Check(v => F.LinearActivation(v[0], v[1], v[2], activation), [Tensor.Randn([2, 3, 4], g), Tensor.Randn([5, 4], g), Tensor.Randn([5], g)]);
        Support.GradCheck.Check(v => F.LinearActivation(v[0], v[1], null, activation), [Tensor.Randn([3, 4], g), Tensor.Randn([2, 4], g)]);
    }

    [Fact]
    public void FusedReluBackwardFollowsThresholdBackwardLikeTheUnfusedOp()
    {
        // Identity weight and a NaN bias in column 3, so the pre-activation is -1, 0, 2, NaN, -3, 4.
        var x = Tensor.FromArray(new float[] { -1, 0, 2, 1, -3, 4 }, 1, 6);
        var eye = new float[36];
        for (int i = 0; i < 6; i++) eye[i * 7] = 1;
        var w = Tensor.FromArray(eye, 6, 6);
        var b = Tensor.FromArray(new float[] { 0, 0, 0, float.NaN, 0, 0 });
        var dy = Tensor.FromArray(new float[] { float.PositiveInfinity, float.NaN, 5, 6, float.NegativeInfinity, 8 }, 1, 6);
        var x1 = x.Clone().RequiresGrad_();
        F.LinearActivation(x1, w, b, "relu").Backward(dy);
        var x2 = x.Clone().RequiresGrad_();
        F.Linear(x2, w, b).Relu().Backward(dy);
        var expected = new float[] { 0, 0, 5, 6, 0, 8 };
        Assert.Equal(expected, x2.Grad!.ToArray());
        Assert.Equal(expected, x1.Grad!.ToArray());
    }

    [Fact]
    public void RejectsUnknownActivationsAndBadShapes()
    {
        var x = Tensor.Ones(2, 3);
        Assert.Contains("activation", Assert.Throws<ArgumentException>(() => F.LinearActivation(x, Tensor.Ones(4, 3), null, "tanh")).Message);
        Assert.Contains("in_features", Assert.Throws<ArgumentException>(() => F.LinearActivation(x, Tensor.Ones(4, 2), null, "gelu")).Message);
    }

    static void Close(Tensor expected, Tensor actual, string what)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5f + 1e-5f * Math.Abs(e[i]), $"{what}[{i}]: composed {e[i]:R}, fused {a[i]:R}");
    }
}
