using SharpAttention.NN;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Autograd;

public class EmbeddingTests
{
    static Tensor Ids(long[] data, params int[] shape) => Tensor.FromArray(data, shape);

    [Fact]
    public void LooksUpRowsForIdsOfAnyShape()
    {
        var w = Tensor.Arange(8).Reshape(4, 2);  // rows (0,1) (2,3) (4,5) (6,7)
        var y = F.Embedding(Ids([0, 3, 3, 1], 2, 2), w);
        Assert.Equal(new[] { 2, 2, 2 }, y.ShapeArray());
        Assert.Equal(new float[] { 0, 1, 6, 7, 6, 7, 2, 3 }, y.ToArray());
        var s = F.Embedding(Ids([2], 1).Reshape(), w);
        Assert.Equal(new[] { 2 }, s.ShapeArray());
        Assert.Equal(new float[] { 4, 5 }, s.ToArray());
        Assert.Equal(new[] { 0, 2 }, F.Embedding(Tensor.Zeros([0], DType.Int64), w).ShapeArray());
        // padding_idx changes only the gradient, not the lookup
        Assert.Equal(new float[] { 2, 3 }, F.Embedding(Ids([1], 1), w, paddingIdx: 1).ToArray());
        // a strided weight view is read correctly
        Assert.Equal(new float[] { 1, 3, 5, 7 }, F.Embedding(Ids([1], 1), w.T).ToArray());
    }

    [Fact]
    public void GradientAccumulatesRepeatedIdsAndSkipsPadding()
    {
        var w = Tensor.Zeros([4, 2], DType.Float32, requiresGrad: true);
        var ids = Ids([1, 3, 1, 0], 4);
        var up = Tensor.FromArray(new float[] { 1, 2, 10, 20, 100, 200, 1000, 2000 }, 4, 2);
        F.Embedding(ids, w).Backward(up);
        Assert.Equal(new float[] { 1000, 2000, 101, 202, 0, 0, 10, 20 }, w.Grad!.ToArray());

        w.Grad = null;
        F.Embedding(ids, w, paddingIdx: 1).Backward(up);
        Assert.Equal(new float[] { 1000, 2000, 0, 0, 0, 0, 10, 20 }, w.Grad!.ToArray());

        w.Grad = null;
        F.Embedding(ids, w, paddingIdx: -1).Backward(up);   // -1 is row 3
        Assert.Equal(new float[] { 1000, 2000, 101, 202, 0, 0, 0, 0 }, w.Grad!.ToArray());
    }

    [Fact]
    public void GradCheck()
    {
        var g = new Generator(41);
        Support.GradCheck.Check(v => F.Embedding(v[1], v[0]), [Tensor.Randn([5, 3], g), Ids([4, 0, 4, 2, 2, 2], 2, 3)]);
        Support.GradCheck.Check(v => F.Embedding(v[1], v[0]), [Tensor.Randn([5, 3], g), Ids([1], 1).Reshape()]);
        Support.GradCheck.Check(v => F.Embedding(v[1], v[0]), [Tensor.Randn([5, 0], g), Ids([1, 2], 2)]);
        Support.GradCheck.Check(v => F.Embedding(v[1], v[0].T), [Tensor.Randn([3, 5], g), Ids([4, 4, 1], 3)]);
    }

    [Fact]
    public void Errors()
    {
        var w = Tensor.Zeros(5, 3);
        var e = Assert.Throws<IndexOutOfRangeException>(() => F.Embedding(Ids([0, 7], 2), w));
        Assert.Equal("embedding: id 7 is out of range for a vocabulary of size 5", e.Message);
        e = Assert.Throws<IndexOutOfRangeException>(() => F.Embedding(Ids([-1], 1), w));
        Assert.Contains("id -1 is out of range for a vocabulary of size 5", e.Message);
        var a = Assert.Throws<ArgumentException>(() => F.Embedding(Ids([0], 1), w, paddingIdx: 5));
        Assert.Contains("padding_idx 5 is out of range for a vocabulary of size 5", a.Message);
        a = Assert.Throws<ArgumentException>(() => F.Embedding(Tensor.Zeros(2), w));
        Assert.Contains("ids must be int64", a.Message);
        a = Assert.Throws<ArgumentException>(() => F.Embedding(Ids([0], 1), Tensor.Zeros(5)));
        Assert.Contains("weight must be 2-D", a.Message);
    }
}
