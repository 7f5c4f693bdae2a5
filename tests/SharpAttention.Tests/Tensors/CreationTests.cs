using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void FactoriesFillShapesAndDTypes()
    {
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 0 }, Tensor.Zeros(2, 3).ToArray());
        Assert.Equal(new float[] { 1, 1 }, Tensor.Ones(2).ToArray());
        Assert.Equal(new double[] { 2.5, 2.5 }, Tensor.Full([2], 2.5, DType.Float64).ToDoubleArray());
        Assert.Equal(new float[] { 0, 2, 4 }, Tensor.Arange(0, 5, 2).ToArray());
        Assert.Equal(new long[] { 0, 1, 2 }, Tensor.Arange(3, DType.Int64).ToInt64Array());
        Assert.Equal(DType.Int64, Tensor.FromArray(new[] { 1, 2 }).DType);
        Assert.Equal(new[] { 2, 2 }, Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 4 } }).ShapeArray());
        Assert.Equal(0, Tensor.Scalar(3).Dim);
        Assert.Equal(3f, Tensor.Scalar(3).Item());
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, 2, 2));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
    }

    [Fact]
    public void SeededGeneratorsReproduceAndDiffer()
    {
        Assert.Equal(Tensor.Randn([100], new Generator(1)).ToArray(), Tensor.Randn([100], new Generator(1)).ToArray());
        Assert.NotEqual(Tensor.Randn([100], new Generator(1)).ToArray(), Tensor.Randn([100], new Generator(2)).ToArray());
        var g = new Generator(5);
        var state = g.GetState();
        var a = Tensor.Rand([10], g).ToArray();
        g.SetState(state);
        Assert.Equal(a, Tensor.Rand([10], g).ToArray());
    }

    [Fact]
    public void RandomDistributionsHaveTheRightMoments()
    {
        var n = Tensor.Normal([200_000], 3, 2, new Generator(11), DType.Float64).ToDoubleArray();
        double mean = n.Average(), std = Math.Sqrt(n.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 2.98, 3.02);
        Assert.InRange(std, 1.98, 2.02);
        var u = Tensor.Uniform([200_000], -1, 3, new Generator(12)).ToArray();
        Assert.True(u.All(v => v >= -1 && v < 3));
        Assert.InRange(u.Average(), 0.98, 1.02);
        var r = Tensor.RandInt(0, 5, [10_000], new Generator(13)).ToInt64Array();
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, r.Distinct().Order().ToArray());
    }

    [Fact]
    public void IndexerAndItemReadAndWrite()
    {
        var x = Tensor.Zeros(2, 3);
        x[1, 2] = 7;
        x[0, -1] = 5;
        Assert.Equal(new float[] { 0, 0, 5, 0, 0, 7 }, x.ToArray());
        Assert.Equal(7f, x[1, 2]);
        Assert.Throws<IndexOutOfRangeException>(() => x[2, 0]);
        Assert.Throws<InvalidOperationException>(() => x.Item());
    }

    [Fact]
    public void StoragePoolReusesReleasedBuffers()
    {
        // A distinctive length so other tests' buffers do not interfere.
        const int length = 12_347;
        for (int round = 0; round < 20; round++)
        {
            MakeGarbage(length);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long reusedBefore = StoragePool.ReusedBytes;
            _ = Tensor.Zeros(length);
            if (StoragePool.ReusedBytes - reusedBefore >= length * sizeof(float)) return;
        }
        Assert.Fail("a buffer released by a collected tensor was never handed out again");
    }

    static void MakeGarbage(int length) => _ = Tensor.Ones(length) * 2.0;

    [Fact]
    public void PooledBuffersComeBackZeroedForZeros()
    {
        for (int i = 0; i < 5; i++)
        {
            MakeGarbage(777);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.All(Tensor.Zeros(777).ToArray(), v => Assert.Equal(0f, v));
        }
    }
}
