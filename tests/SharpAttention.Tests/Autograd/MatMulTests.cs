using SharpAttention.Autograd;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class MatMulTests
{
    static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g);

    [Fact]
    public void HandWorkedValuesForEveryRankCase()
    {
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var b = Tensor.FromArray(new float[] { 5, 6, 7, 8 }, 2, 2);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, a.MatMul(b).ToArray());

        var dot = Tensor.FromArray(new float[] { 1, 2, 3 }).MatMul(Tensor.FromArray(new float[] { 4, 5, 6 }));
        Assert.Empty(dot.ShapeArray());
        Assert.Equal(32f, dot.Item());

        var m23 = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var vm = Tensor.FromArray(new float[] { 1, 2 }).MatMul(m23);
        Assert.Equal(new[] { 3 }, vm.ShapeArray());
        Assert.Equal(new float[] { 9, 12, 15 }, vm.ToArray());

        var mv = m23.MatMul(Tensor.FromArray(new float[] { 1, 0, -1 }));
        Assert.Equal(new[] { 2 }, mv.ShapeArray());
        Assert.Equal(new float[] { -2, -2 }, mv.ToArray());

        // Transposed view: [[1,4],[2,5],[3,6]]·[1,1] = [5,7,9]
        Assert.Equal(new float[] { 5, 7, 9 }, m23.T.MatMul(Tensor.FromArray(new float[] { 1, 1 })).ToArray());
    }

    [Fact]
    public void BroadcastBatchShapeAndValuesMatchNaiveLoops()
    {
        var g = new Generator(3);
        var a = R(g, 2, 1, 3, 4);
        var b = R(g, 5, 4, 6);
        var y = a.MatMul(b);
        Assert.Equal(new[] { 2, 5, 3, 6 }, y.ShapeArray());
        var av = a.ToDoubleArray();
        var bv = b.ToDoubleArray();
        var yv = y.ToArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 5; j++)
                for (int r = 0; r < 3; r++)
                    for (int c = 0; c < 6; c++)
                    {
                        double s = 0;
                        for (int p = 0; p < 4; p++) s += av[(i * 3 + r) * 4 + p] * bv[(j * 4 + p) * 6 + c];
                        Assert.Equal(s, yv[((i * 5 + j) * 3 + r) * 6 + c], 1e-5);
                    }
    }

    [Fact]
    public void GradCheckEveryRankCase()
    {
        var g = new Generator(11);
        int[][][] cases =
        [
            [[4], [4]], [[3], [3, 5]], [[2, 3], [3]], [[2, 3], [3, 4]], [[3], [2, 3, 4]], [[2, 3, 4], [4]],
            [[2, 3, 4], [2, 4, 5]], [[2, 3, 4], [4, 5]], [[3, 4], [2, 4, 5]], [[2, 1, 3, 4], [5, 4, 6]],
            [[1, 3, 4], [2, 4, 5]], [[2, 3, 4], [1, 4, 5]], [[1, 1], [1, 1]], [[1, 5], [5, 1]], [[3, 1, 2, 2], [1, 4, 2, 3]],
        ];
        foreach (var c in cases) GradCheck.Check(v => v[0].MatMul(v[1]), [R(g, c[0]), R(g, c[1])]);
    }

    [Fact]
    public void GradCheckEmptyDims()
    {
        var g = new Generator(12);
        int[][][] cases = [[[0, 3], [3, 2]], [[2, 0], [0, 3]], [[2, 3], [3, 0]], [[0, 2, 3], [3, 4]], [[0], [0]], [[2, 0], [0]]];
        foreach (var c in cases)
        {
            var y = R(g, c[0]).MatMul(R(g, c[1]));
            Assert.True(y.ToArray().All(v => v == 0));
            GradCheck.Check(v => v[0].MatMul(v[1]), [R(g, c[0]), R(g, c[1])]);
        }
        Assert.Equal(new[] { 2, 3 }, R(g, 2, 0).MatMul(R(g, 0, 3)).ShapeArray());
    }

    [Fact]
    public void GradCheckStridedViews()
    {
        var g = new Generator(13);
        // transposed operands (kernel transpose flags), expanded rows (copied), narrowed columns (leading dim > cols)
        GradCheck.Check(v => v[0].T.MatMul(v[1].T), [R(g, 4, 3), R(g, 5, 4)]);
        GradCheck.Check(v => v[0].Transpose(-2, -1).MatMul(v[1]), [R(g, 2, 4, 3), R(g, 2, 4, 5)]);
        GradCheck.Check(v => v[0].Expand(3, 4).MatMul(v[1].Narrow(1, 1, 2)), [R(g, 1, 4), R(g, 4, 5)]);
        GradCheck.Check(v => v[0].Permute(1, 0, 2).MatMul(v[1].Permute(0, 2, 1)), [R(g, 3, 2, 4), R(g, 2, 5, 4)]);
        GradCheck.Check(v => v[0].Narrow(2, 1, 3).MatMul(v[1]), [R(g, 2, 3, 5), R(g, 3, 2)]);
    }

    [Fact]
    public void Float32BackwardMatchesFloat64()
    {
        var g = new Generator(14);
        var a = R(g, 3, 5, 7).RequiresGrad_();
        var b = R(g, 7, 4).RequiresGrad_();
        var w = R(g, 3, 5, 4);
        a.MatMul(b).Backward(w);
        var ad = a.Double().Detach().RequiresGrad_();
        var bd = b.Double().Detach().RequiresGrad_();
        ad.MatMul(bd).Backward(w.Double());
        Close(ad.Grad!, a.Grad!);
        Close(bd.Grad!, b.Grad!);
        Assert.Equal(DType.Float32, a.Grad!.DType);
    }

    static void Close(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.ShapeArray(), actual.ShapeArray());
        var e = expected.ToDoubleArray();
        var x = actual.ToDoubleArray();
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], x[i], 1e-4);
    }

    [Fact]
    public void LargeBatchedMatMulMatchesComposedTwoDProducts()
    {
        var g = new Generator(15);
        var a = R(g, 3, 70, 90);
        var b = R(g, 3, 90, 65);
        var y = a.MatMul(b);
        for (int i = 0; i < 3; i++)
        {
            var expected = a.Select(0, i).Double().MatMul(b.Select(0, i).Double()).ToDoubleArray();
            var actual = y.Select(0, i).ToDoubleArray();
            for (int j = 0; j < expected.Length; j++) Assert.Equal(expected[j], actual[j], 1e-4);
        }
    }

    [Fact]
    public void NaNPropagates()
    {
        var a = Tensor.FromArray(new float[] { 1, float.NaN, 0, 0 }, 2, 2);
        var b = Tensor.FromArray(new float[] { 1, 2, 3, float.PositiveInfinity }, 2, 2);
        var y = a.MatMul(b).ToArray();
        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
        Assert.Equal(0f, y[2]);
        Assert.True(float.IsNaN(y[3])); // 0·Inf
    }

    [Fact]
    public void ErrorsNameOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).MatMul(Tensor.Zeros(4, 5)));
        Assert.Equal("matmul: (2,3) @ (4,5): inner dimensions 3 and 4 differ", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).MatMul(Tensor.Zeros(4)));
        Assert.Equal("matmul: (3,) @ (4,): inner dimensions 3 and 4 differ", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3, 4).MatMul(Tensor.Zeros(3, 4, 5)));
        Assert.StartsWith("matmul: (2,3,4) @ (3,4,5): batch dimensions (2,) and (3,) cannot be broadcast", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).MatMul(Tensor.Zeros(3)));
        Assert.Contains("matmul: both arguments need at least 1 dimension, got () and (3,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 2).MatMul(Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Contains("same dtype", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 2], DType.Int64).MatMul(Tensor.Zeros(2, 2)));
        Assert.Contains("matmul: expected a floating point tensor, got int64", e.Message);
    }

    [Fact]
    public void NoGraphWithoutRequiresGradOrUnderNoGrad()
    {
        var a = Tensor.Ones(2, 2).RequiresGrad_();
        Assert.Equal("MatMulBackward0", a.MatMul(Tensor.Ones(2, 2)).GradFn!.Name);
        Assert.Null(Tensor.Ones(2, 2).MatMul(Tensor.Ones(2, 2)).GradFn);
        using (GradMode.NoGrad()) Assert.Null(a.MatMul(Tensor.Ones(2, 2)).GradFn);
    }
}
