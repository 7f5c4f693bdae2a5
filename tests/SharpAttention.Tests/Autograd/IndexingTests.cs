using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class IndexingTests
{
    static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, g);
    static Tensor F32(float[] data, params int[] shape) => Tensor.FromArray(data, shape);
    static Tensor I64(long[] data, params int[] shape) => Tensor.FromArray(data, shape);

    // ---- cat / stack ----------------------------------------------------------------------------------------

    [Fact]
    public void CatHandWorkedValues()
    {
        var a = F32([1, 2, 3, 4], 2, 2);
        var y = Tensor.Cat([a, F32([5, 6], 1, 2)], 0);
        Assert.Equal(new[] { 3, 2 }, y.ShapeArray());
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, y.ToArray());
        y = Tensor.Cat([F32([1, 2], 2, 1), a, a.T], -1);
        Assert.Equal(new float[] { 1, 1, 2, 1, 3, 2, 3, 4, 2, 4 }, y.ToArray());
        // 1-D empty tensors are skipped (PyTorch's legacy rule), other dtypes work too
        Assert.Equal(new[] { 3, 2 }, Tensor.Cat([a, Tensor.Zeros(0), F32([5, 6], 1, 2)], 0).ShapeArray());
        Assert.Equal(new long[] { 1, 2, 3 }, Tensor.Cat([I64([1, 2]), I64([3])], 0).ToInt64Array());
        Assert.Equal(new[] { true, false }, Tensor.Cat([Tensor.FromArray([true]), Tensor.FromArray([false])], 0).ToBoolArray());
    }

    [Fact]
    public void CatGradients()
    {
        var g = new Generator(31);
        GradCheck.Check(v => Tensor.Cat([v[0], v[1], v[2]], 0), [R(g, 2, 3), R(g, 1, 3), R(g, 4, 3)]);
        GradCheck.Check(v => Tensor.Cat([v[0], v[1].T, v[2]], 1), [R(g, 2, 3), R(g, 2, 2), R(g, 2, 0)]);
        GradCheck.Check(v => Tensor.Cat([v[0], v[1]], -1), [R(g, 2, 1, 3), R(g, 2, 1, 2)]);
        GradCheck.Check(v => Tensor.Cat([v[0], v[1], v[0]], 0), [R(g, 3), R(g, 0)]);
    }

    [Fact]
    public void CatOnlyDifferentiatesInputsThatNeedIt()
    {
        var a = Tensor.Ones(2).RequiresGrad_();
        var b = Tensor.Ones(3);
        var inputs = new[] { a, b };
        Tensor.Cat(inputs, 0).Backward(F32([1, 2, 3, 4, 5]));
        Assert.Equal(new float[] { 1, 2 }, a.Grad!.ToArray());
        Assert.Null(b.Grad);
        Assert.Same(b, inputs[1]); // the caller's array is not touched
    }

    [Fact]
    public void CatErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0));
        Assert.Equal("cat: tensors must have the same shape except in dimension 0, but tensor 0 has shape (2,3) and tensor 1 has shape (2,4)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3)], 0));
        Assert.Contains("tensor 1 has shape (3,)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2), Tensor.Scalar(1)], 0));
        Assert.Contains("zero-dimensional tensor (at position 1)", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2), Tensor.Zeros([2], DType.Float64)], 0));
        Assert.Contains("dtype float32, got float64 for tensor 1", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Cat([], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Cat([Tensor.Zeros(2, 3)], 2));
    }

    [Fact]
    public void StackValuesGradientsAndErrors()
    {
        var a = F32([1, 2, 3], 3);
        var b = F32([4, 5, 6], 3);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, Tensor.Stack([a, b], 0).ToArray());
        var s = Tensor.Stack([a, b], -1);
        Assert.Equal(new[] { 3, 2 }, s.ShapeArray());
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, s.ToArray());
        Assert.Equal(new[] { 2, 3, 2 }, Tensor.Stack([Tensor.Zeros(2, 2), Tensor.Zeros(2, 2), Tensor.Zeros(2, 2)], 1).ShapeArray());
        Assert.Equal(new[] { 2 }, Tensor.Stack([Tensor.Scalar(1), Tensor.Scalar(2)], 0).ShapeArray());

        var g = new Generator(32);
        GradCheck.Check(v => Tensor.Stack([v[0], v[1], v[0]], 1), [R(g, 2, 3), R(g, 2, 3)]);
        GradCheck.Check(v => Tensor.Stack([v[0], v[1]], 0), [R(g, 0, 2), R(g, 0, 2)]);

        var e = Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0));
        Assert.Equal("stack: expects each tensor to be equal size, but got (2,3) at entry 0 and (2,4) at entry 1", e.Message);
    }

    // ---- split / chunk --------------------------------------------------------------------------------------

    [Fact]
    public void SplitAndChunkAreViews()
    {
        var x = Tensor.Arange(10).Reshape(5, 2);
        var parts = x.Split(2);
        Assert.Equal([[2, 2], [2, 2], [1, 2]], parts.Select(p => p.ShapeArray()).ToArray());
        Assert.Equal(new float[] { 8, 9 }, parts[2].ToArray());
        Assert.All(parts, p => Assert.Same(x.Storage, p.Storage));

        parts = x.Split([1, 0, 4], 0);
        Assert.Equal(new[] { 1, 0, 4 }, parts.Select(p => p.Size(0)).ToArray());
        Assert.Equal(new float[] { 2, 3, 4, 5, 6, 7, 8, 9 }, parts[2].ToArray());

        var cols = x.Split(1, -1);
        Assert.Equal(new float[] { 1, 3, 5, 7, 9 }, cols[1].ToArray());

        Assert.Equal(new[] { 2, 2, 1 }, Tensor.Zeros(5).Chunk(3, 0).Select(p => p.Size(0)).ToArray());
        Assert.Equal(new[] { 2, 2, 2 }, Tensor.Zeros(6).Chunk(4).Select(p => p.Size(0)).ToArray()); // fewer than asked, as torch
        Assert.Equal(new[] { 1, 1, 1, 1, 1 }, Tensor.Zeros(5).Chunk(int.MaxValue).Select(p => p.Size(0)).ToArray()); // size + chunks - 1 passes int
        Assert.Equal(new[] { 0, 0, 0 }, Tensor.Zeros(0).Chunk(3).Select(p => p.Size(0)).ToArray());
        Assert.Single(Tensor.Zeros(0, 2).Split(2));
        Assert.Single(Tensor.Zeros(0, 2).Split(0));
    }

    [Fact]
    public void SplitGradientsAndErrors()
    {
        var g = new Generator(33);
        GradCheck.Check(v => { var p = v[0].Split(2, 1); return Tensor.Cat([p[2], p[0]], 1); }, [R(g, 3, 5)]);
        GradCheck.Check(v => v[0].Split([1, 2], 0)[1] * v[0].Chunk(3, 0)[0], [R(g, 3, 2)]);

        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(6, 2).Split([2, 3], 0));
        Assert.Equal("split: split sizes (2,3) sum to 5 but dimension 0 of shape (6,2) has size 6", e.Message);
        e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 2).Split(0));
        Assert.Contains("split_size can only be 0 if dimension size is 0, but got dimension size of 3", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(3).Chunk(0));
        Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).Split(1));
    }

    // ---- gather ---------------------------------------------------------------------------------------------

    [Fact]
    public void GatherHandWorkedValues()
    {
        var t = F32([1, 2, 3, 4], 2, 2);
        Assert.Equal(new float[] { 1, 1, 4, 3 }, t.Gather(1, I64([0, 0, 1, 0], 2, 2)).ToArray());
        Assert.Equal(new float[] { 3, 2, 1, 2 }, t.Gather(0, I64([1, 0, 0, 0], 2, 2)).ToArray());
        // index smaller than the input in the non-gather dim, and a transposed (strided) input
        var x = Tensor.Arange(12).Reshape(3, 4);
        var y = x.Gather(1, I64([3, 0, 2], 1, 3));
        Assert.Equal(new[] { 1, 3 }, y.ShapeArray());
        Assert.Equal(new float[] { 3, 0, 2 }, y.ToArray());
        Assert.Equal(new float[] { 8, 1 }, x.T.Gather(1, I64([2, 0], 2, 1)).ToArray());
        Assert.Equal(new long[] { 30, 10 }, I64([10, 20, 30], 3).Gather(0, I64([2, 0], 2)).ToInt64Array());
        Assert.Equal(5f, Tensor.Scalar(5).Gather(0, I64([0], 1).Reshape()).Item());
    }

    [Fact]
    public void GatherGradientsSumRepeatedIndices()
    {
        var x = Tensor.Zeros([2, 3], DType.Float32, requiresGrad: true);
        x.Gather(1, I64([2, 2, 0, 1], 2, 2)).Backward(F32([1, 2, 3, 4], 2, 2));
        Assert.Equal(new float[] { 0, 0, 3, 3, 4, 0 }, x.Grad!.ToArray());

        var g = new Generator(34);
        GradCheck.Check(v => v[0].Gather(0, I64([2, 0, 1, 2, 2, 0], 2, 3)), [R(g, 3, 4)]);
        GradCheck.Check(v => v[0].Gather(2, I64([1, 1, 0, 3], 2, 1, 2)), [R(g, 2, 3, 4)]);
        GradCheck.Check(v => v[0].T.Gather(-1, I64([0, 0, 1], 3, 1)), [R(g, 2, 3)]);
        GradCheck.Check(v => v[0].Gather(1, Tensor.Zeros([2, 0], DType.Int64)), [R(g, 2, 3)]);
    }

    [Fact]
    public void GatherErrors()
    {
        var x = Tensor.Zeros(2, 4);
        var e = Assert.Throws<IndexOutOfRangeException>(() => x.Gather(1, I64([0, 5], 1, 2)));
        Assert.Equal("gather: index 5 is out of bounds for dimension 1 with size 4", e.Message);
        e = Assert.Throws<IndexOutOfRangeException>(() => x.Gather(0, I64([-1], 1, 1)));
        Assert.Contains("index -1 is out of bounds for dimension 0 with size 2", e.Message);
        var a = Assert.Throws<ArgumentException>(() => x.Gather(0, I64([0, 0, 0, 0, 0], 1, 5)));
        Assert.Equal("gather: index (1,5) is larger than input (2,4) in dimension 1", a.Message);
        a = Assert.Throws<ArgumentException>(() => x.Gather(0, I64([0], 1)));
        Assert.Contains("same number of dimensions", a.Message);
        a = Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.Zeros(1, 1)));
        Assert.Contains("gather: index must be int64, got float32", a.Message);
    }

    // ---- index_select ---------------------------------------------------------------------------------------

    [Fact]
    public void IndexSelectValuesAndGradients()
    {
        var x = Tensor.Arange(6).Reshape(2, 3);
        Assert.Equal(new float[] { 2, 0, 2, 5, 3, 5 }, x.IndexSelect(1, I64([2, 0, 2], 3)).ToArray());
        Assert.Equal(new float[] { 3, 4, 5, 3, 4, 5 }, x.IndexSelect(0, I64([1, 1], 2)).ToArray());
        var s = x.IndexSelect(-1, I64([2], 1).Reshape());
        Assert.Equal(new[] { 2, 1 }, s.ShapeArray());
        Assert.Equal(new float[] { 2, 5 }, s.ToArray());
        Assert.Equal(new[] { 0, 3 }, x.IndexSelect(0, Tensor.Zeros([0], DType.Int64)).ShapeArray());

        var w = Tensor.Zeros([3], DType.Float32, requiresGrad: true);
        w.IndexSelect(0, I64([2, 0, 2], 3)).Backward(F32([1, 10, 100], 3));
        Assert.Equal(new float[] { 10, 0, 101 }, w.Grad!.ToArray());

        var g = new Generator(35);
        GradCheck.Check(v => v[0].IndexSelect(1, I64([3, 0, 3, 1], 4)), [R(g, 2, 4, 3)]);
        GradCheck.Check(v => v[0].T.IndexSelect(0, I64([1, 1], 2)), [R(g, 3, 2)]);
        GradCheck.Check(v => v[0].IndexSelect(0, Tensor.Zeros([0], DType.Int64)), [R(g, 2, 2)]);
    }

    [Fact]
    public void IndexSelectErrors()
    {
        var e = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros(3, 2).IndexSelect(0, I64([0, 3], 2)));
        Assert.Equal("index_select: index 3 is out of range for dimension 0 with size 3 in shape (3,2)", e.Message);
        var a = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 2).IndexSelect(0, I64([0, 1], 1, 2)));
        Assert.Contains("index must be 0-D or 1-D", a.Message);
        a = Assert.Throws<ArgumentException>(() => Tensor.Zeros(3, 2).IndexSelect(0, Tensor.Zeros(2)));
        Assert.Contains("int64", a.Message);
    }
}
