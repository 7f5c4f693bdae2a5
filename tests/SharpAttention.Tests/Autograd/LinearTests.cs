using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class LinearTests
{
    static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g);

    [Fact]
    public void HandWorkedValues()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var w = Tensor.FromArray(new float[] { 1, 0, -1, 2, 1, 0 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 0.5f, -1 });
        Assert.Equal(new float[] { -1.5f, 3, -1.5f, 12 }, F.Linear(x, w, b).ToArray());
        Assert.Equal(new float[] { -2, 4, -2, 13 }, F.Linear(x, w).ToArray());
        var v = F.Linear(Tensor.FromArray(new float[] { 1, 2, 3 }), w, b);
        Assert.Equal(new[] { 2 }, v.ShapeArray());
        Assert.Equal(new float[] { -1.5f, 3 }, v.ToArray());
    }

    [Fact]
    public void GradCheckRanksBiasAndEmptyDims()
    {
        var g = new Generator(21);
        int[][] xs = [[4, 3], [3], [2, 3, 3], [2, 1, 2, 3], [0, 3], [2, 0, 3]];
        foreach (var s in xs)
        {
            GradCheck.Check(v => F.Linear(v[0], v[1], v[2]), [R(g, s), R(g, 5, 3), R(g, 5)]);
            GradCheck.Check(v => F.Linear(v[0], v[1]), [R(g, s), R(g, 1, 3)]);
        }
        GradCheck.Check(v => F.Linear(v[0], v[1], v[2]), [R(g, 4, 0), R(g, 2, 0), R(g, 2)]); // in_features 0: y = b
        GradCheck.Check(v => F.Linear(v[0].T, v[1].T, v[2]), [R(g, 3, 4), R(g, 3, 2), R(g, 2)]); // strided views
    }

    [Fact]
    public void MatchesComposedMatMulPlusBiasForwardAndBackward()
    {
        var g = new Generator(22);
        var x = R(g, 3, 40, 130).RequiresGrad_();
        var w = R(g, 70, 130).RequiresGrad_();
        var b = R(g, 70).RequiresGrad_();
        var up = R(g, 3, 40, 70);
        var y = F.Linear(x, w, b);
        y.Backward(up);

        var xd = x.Double().Detach().RequiresGrad_();
        var wd = w.Double().Detach().RequiresGrad_();
        var bd = b.Double().Detach().RequiresGrad_();
        var yd = xd.MatMul(wd.T) + bd;
        yd.Backward(up.Double());
        Close(yd, y, 1e-4);
        Close(xd.Grad!, x.Grad!, 1e-3);
        Close(wd.Grad!, w.Grad!, 1e-3);
        Close(bd.Grad!, b.Grad!, 1e-3);
    }

    static void Close(Tensor expected, Tensor actual, double tol)
    {
        Assert.Equal(expected.ShapeArray(), actual.ShapeArray());
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"[{i}] {e[i]} vs {a[i]}");
    }

    [Fact]
    public void NaNPropagates()
    {
        var x = Tensor.FromArray(new float[] { 1, float.NaN, 1, 1 }, 2, 2);
        var y = F.Linear(x, Tensor.Ones(3, 2), Tensor.FromArray(new float[] { 0, float.PositiveInfinity, 0 })).ToArray();
        Assert.True(y.Take(3).All(float.IsNaN));
        Assert.Equal(new float[] { 2, float.PositiveInfinity, 2 }, y.Skip(3).ToArray());
    }

    [Fact]
    public void ErrorsNameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Equal("linear: input (2,3) and weight (4,5): in_features 3 and 5 differ", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(4, 3), Tensor.Zeros(3)));
        Assert.Contains("linear: bias (3,) does not match weight (4,3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros(3)));
        Assert.Contains("linear: weight must be 2-D", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Linear(Tensor.Zeros(2, 3), Tensor.Zeros([4, 3], DType.Float64)));
        Assert.Contains("dtype", e.Message);
    }
}
