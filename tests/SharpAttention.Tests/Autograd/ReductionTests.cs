using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class ReductionTests
{
    static Tensor Seq(params int[] shape) => Tensor.Arange(0, shape.Aggregate(1, (a, b) => a * b)).Reshape(shape);

    static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, g, DType.Float64);

    /// <summary>Dims lists tried on a rank-3 input: single, several, negative, all, and the empty list (= all).</summary>
    static readonly int[][] DimsLists = [[0], [1], [2], [-1], [0, 2], [-1, -3], [1, 0], [0, 1, 2], []];

    [Fact]
    public void SumAndMeanHandWorked()
    {
        var x = Seq(2, 3, 4);
        Assert.Equal(276f, x.Sum().Item());
        Assert.Empty(x.Sum().ShapeArray());
        Assert.Equal(new float[] { 12, 15, 18, 21, 48, 51, 54, 57 }, x.Sum(1).ToArray());
        Assert.Equal(new[] { 2, 4 }, x.Sum(1).ShapeArray());
        var s = x.Sum([0, 2], keepdim: true);
        Assert.Equal(new[] { 1, 3, 1 }, s.ShapeArray());
        Assert.Equal(new float[] { 60, 92, 124 }, s.ToArray());
        Assert.Equal(s.ToArray(), x.Sum([-1, -3]).ToArray());
        Assert.Equal(new float[] { 1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f }, x.Mean(-1).ToArray());
        Assert.Equal(11.5f, x.Mean().Item());
        Assert.Equal(x.Sum().Item(), x.Sum(Array.Empty<int>()).Item()); // torch.sum(dim=[]) reduces everything
        // Non-contiguous input: sums over the transposed view's rows.
        Assert.Equal(new float[] { 12, 15, 18, 21, 48, 51, 54, 57 }, x.Transpose(1, 2).Sum(2).ToArray());
    }

    [Fact]
    public void EmptyAndZeroDimReductions()
    {
        Assert.Equal(new float[] { 0, 0 }, Tensor.Zeros(2, 0).Sum(1).ToArray());
        Assert.Equal(0f, Tensor.Zeros(0).Sum().Item());
        Assert.True(float.IsNaN(Tensor.Zeros(0).Mean().Item()));
        Assert.Equal(new[] { 0 }, Tensor.Zeros(0, 3).Mean(1).ShapeArray());
        var scalar = Tensor.Scalar(5);
        Assert.Equal(5f, scalar.Sum(0).Item());
        Assert.Empty(scalar.Sum(-1, keepdim: true).ShapeArray()); // keepdim on a 0-d tensor stays 0-d, as in torch
        var (v, i) = scalar.Max(0);
        Assert.Equal((5f, 0f), (v.Item(), i.Item()));
    }

    [Fact]
    public void IntegerAndBoolSumsGiveInt64()
    {
        var mask = Tensor.FromArray(new[] { true, false, true, true }, 2, 2);
        Assert.Equal(DType.Int64, mask.Sum().DType);
        Assert.Equal(new long[] { 3 }, mask.Sum().ToInt64Array());
        Assert.Equal(new long[] { 1, 2 }, mask.Sum(1).ToInt64Array());
        Assert.Equal(new long[] { 4, 6 }, Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2).Sum(0).ToInt64Array());
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }).Mean());
        Assert.Contains("mean", e.Message);
        Assert.Contains("int64", e.Message);
    }

    [Fact]
    public void SumMeanVarGradients()
    {
        var g = new Generator(21);
        var x = Randn(g, 3, 4, 5);
        foreach (var dims in DimsLists)
            foreach (bool keepdim in new[] { false, true })
            {
                GradCheck.Check(v => v[0].Sum(dims, keepdim), [x]);
                GradCheck.Check(v => v[0].Mean(dims, keepdim), [x]);
                GradCheck.Check(v => v[0].Var(dims, 1, keepdim), [x]);
            }
        foreach (int correction in new[] { 0, 2 })
            GradCheck.Check(v => v[0].Var(1, correction), [x]);
        GradCheck.Check(v => v[0].Transpose(0, 2).Sum([0, 1]) * v[0].Mean(), [x]); // strided input, two uses
        GradCheck.Check(v => v[0].Sum(1) + v[0].Mean(1, keepdim: true).Sum(1), [Randn(g, 1, 4, 1)]);
        GradCheck.Check(v => v[0].Sum(1) + v[0].Mean(1) + v[0].Var(1), [Randn(g, 0, 3)]);  // empty kept dim
        GradCheck.Check(v => v[0].Sum(0) + v[0].Mean(), [Randn(g, 0, 3)]);                // empty reduced dim
        GradCheck.Check(v => v[0].Sum() + v[0].Mean(0) + v[0].Var(0, correction: 0), [Tensor.Scalar(2, DType.Float64)]);
    }

    [Fact]
    public void VarHandWorkedAndDegenerateCounts()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 });
        Assert.Equal(5f / 3, x.Var().Item(), 6);
        Assert.Equal(1.25f, x.Var(0, correction: 0).Item(), 6);
        Assert.Equal(new float[] { 42.571430f, 42.571430f, 42.571430f }, Seq(2, 3, 4).Var([0, 2]).ToArray());
        Assert.True(float.IsNaN(Tensor.FromArray(new float[] { 3 }).Var().Item()));  // 0/0, as torch
        Assert.True(float.IsNaN(Tensor.Zeros(0).Var().Item()));
        // N = 1 with correction 1: value 0/0 and gradient 2·0/0, both NaN as in torch.
        var single = Tensor.FromArray(new float[] { 3 }, 1, 1).RequiresGrad_();
        single.Var(1).Sum().Backward();
        Assert.True(float.IsNaN(single.Grad!.Item()));

        // N − correction < 0: forward divides by max(0, N − c) = 0 → inf; backward scales by 2/(N − c) = −2 (torch 1.13).
        var y = Tensor.FromArray(new float[] { 1, 2 }).RequiresGrad_();
        var v = y.Var(correction: 3);
        Assert.Equal(float.PositiveInfinity, v.Item());
        v.Backward();
        Assert.Equal(new float[] { 1, -1 }, y.Grad!.ToArray());
    }

    [Fact]
    public void MaxMinHandWorkedWithIndices()
    {
        var a = Tensor.FromArray(new float[] { 1, 5, 3, 7, 2, 7 }, 2, 3);
        var (mv, mi) = a.Max(1);
        Assert.Equal(new float[] { 5, 7 }, mv.ToArray());
        Assert.Equal(new long[] { 1, 0 }, mi.ToInt64Array()); // tie at 7: first occurrence
        Assert.Equal(DType.Int64, mi.DType);
        var (nv, ni) = a.Min(0, keepdim: true);
        Assert.Equal(new[] { 1, 3 }, nv.ShapeArray());
        Assert.Equal(new float[] { 1, 2, 3 }, nv.ToArray());
        Assert.Equal(new long[] { 0, 1, 0 }, ni.ToInt64Array());
        Assert.Equal(new long[] { 1, 0, 1 }, a.ArgMax(0).ToInt64Array());
        Assert.Equal(new long[] { 0, 1 }, a.ArgMin(-1).ToInt64Array());
        Assert.Equal(new[] { 2, 1 }, a.ArgMin(-1, keepdim: true).ShapeArray());
        Assert.Equal(3, a.ArgMax().ToInt64Array()[0]);
        Assert.Equal(7f, a.Max().Item());
        Assert.Equal(1f, a.Min().Item());

        var n = Tensor.FromArray(new float[] { 1, float.NaN, 3, float.NaN, 0, 2, 1, 0 }, 2, 4);
        var (nanMax, nanIdx) = n.Max(1);
        Assert.True(float.IsNaN(nanMax.ToArray()[0]));
        Assert.Equal(new long[] { 1, 1 }, nanIdx.ToInt64Array());
        Assert.Equal(new long[] { 1, 0 }, n.ArgMin(1).ToInt64Array());
        Assert.True(float.IsNaN(n.Min().Item()));
    }

    [Fact]
    public void MaxGradientGoesToTheChosenIndex()
    {
        var x = Tensor.FromArray(new float[] { 2, 1, 2, 0, 4, 4 }, 2, 3).RequiresGrad_();
        var (v, _) = x.Max(1);
        Assert.Equal("MaxBackward0", v.GradFn!.Name);
        v.Backward(Tensor.FromArray(new float[] { 10, 20 }));
        Assert.Equal(new float[] { 10, 0, 0, 0, 20, 0 }, x.Grad!.ToArray());

        x.Grad = null;
        x.Min(0).Values.Backward(Tensor.FromArray(new float[] { 1, 2, 3 }));
        Assert.Equal(new float[] { 0, 2, 3, 1, 0, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void FullMaxSharesGradientAmongTies()
    {
        var x = Tensor.FromArray(new float[] { 2, 1, 2 }).RequiresGrad_();
        x.Max().Backward();
        Assert.Equal(new float[] { 0.5f, 0, 0.5f }, x.Grad!.ToArray());

        var n = Tensor.FromArray(new float[] { 2, float.NaN, float.NaN }).RequiresGrad_();
        n.Max().Backward();
        Assert.Equal(new float[] { 0, 0.5f, 0.5f }, n.Grad!.ToArray());

        var m = Tensor.FromArray(new float[] { 3, -1, -1, 0 }, 2, 2).RequiresGrad_();
        var min = m.Min();
        Assert.Equal("MinBackward0", min.GradFn!.Name);
        (min * 4.0).Backward();
        Assert.Equal(new float[] { 0, 2, 2, 0 }, m.Grad!.ToArray());
    }

    [Fact]
    public void MaxMinGradients()
    {
        var g = new Generator(22);
        var x = Randn(g, 3, 4, 5);
        foreach (int dim in new[] { 0, 1, 2, -1 })
            foreach (bool keepdim in new[] { false, true })
            {
                GradCheck.Check(v => v[0].Max(dim, keepdim).Values, [x]);
                GradCheck.Check(v => v[0].Min(dim, keepdim).Values, [x]);
            }
        GradCheck.Check(v => v[0].Max() - v[0].Min(), [x]);
        GradCheck.Check(v => v[0].Transpose(0, 1).Max(0).Values, [x]);
        GradCheck.Check(v => v[0].Max(1).Values, [Randn(g, 0, 3)]);
        GradCheck.Check(v => v[0].Max(0, keepdim: true).Values, [Randn(g, 1, 3)]);
    }

    [Fact]
    public void ErrorsNameTheOpAndShape()
    {
        var x = Tensor.Zeros(2, 3);
        var dup = Assert.Throws<ArgumentException>(() => x.Sum([0, -2]));
        Assert.Contains("sum: dim 0 appears multiple times", dup.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => x.Mean(2));
        Assert.Contains("mean", range.Message);
        Assert.Contains("[-2, 1]", range.Message);
        var empty = Assert.Throws<ArgumentException>(() => Tensor.Zeros(0, 3).Max());
        Assert.Contains("max", empty.Message);
        Assert.Contains("(0,3)", empty.Message);
        var zeroDim = Assert.Throws<ArgumentException>(() => Tensor.Zeros(0, 3).Min(0));
        Assert.Contains("min: cannot reduce over dim 0 of size 0", zeroDim.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 0).ArgMax(1));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(0).ArgMax());
        var intMax = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1 }).Max());
        Assert.Contains("int64", intMax.Message);
    }

    [Fact]
    public void Float32AndFloat64Agree()
    {
        var x64 = Randn(new Generator(23), 5, 7, 3);
        var x32 = x64.Float();
        foreach (var dims in DimsLists)
        {
            AssertClose(x64.Sum(dims).ToDoubleArray(), x32.Sum(dims).ToDoubleArray(), 1e-5);
            AssertClose(x64.Var(dims).ToDoubleArray(), x32.Var(dims).ToDoubleArray(), 1e-5);
        }
        Assert.Equal(x64.ArgMax(1).ToInt64Array(), x32.ArgMax(1).ToInt64Array());
    }

    static void AssertClose(double[] expected, double[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.InRange(actual[i], expected[i] - tol * (1 + Math.Abs(expected[i])), expected[i] + tol * (1 + Math.Abs(expected[i])));
    }
}
