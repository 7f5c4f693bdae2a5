using SharpAttention.NN.Attention;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Decoding;

public class KvCacheTests
{
    /// <summary>(B, Hkv, T, D) whose every element encodes (row, head, position, feature).</summary>
    static Tensor Tagged(int b, int h, int t, int d, int firstPosition, float sign = 1)
    {
        var data = new float[b * h * t * d];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < h; j++)
                for (int p = 0; p < t; p++)
                    for (int e = 0; e < d; e++)
                        data[((i * h + j) * t + p) * d + e] = sign * (1000 * i + 100 * j + (firstPosition + p) + 0.01f * e);
        return Tensor.FromArray(data, b, h, t, d);
    }

    [Fact]
    public void AppendGrowsByDoublingAndKeepsEveryPosition()
    {
        var cache = new KvCache(3, 2, 4, capacity: 2, maxLength: 9);
        cache.Append(Tagged(3, 2, 1, 4, 0), Tagged(3, 2, 1, 4, 0, -1));
        cache.Append(Tagged(3, 2, 2, 4, 1), Tagged(3, 2, 2, 4, 1, -1));
        Assert.Equal(4, cache.Capacity);
        cache.Append(Tagged(3, 2, 3, 4, 3), Tagged(3, 2, 3, 4, 3, -1));
        Assert.Equal((6, 8), (cache.Length, cache.Capacity));
        Assert.Equal(Tagged(3, 2, 6, 4, 0).ToArray(), cache.Keys.Contiguous().ToArray());
        Assert.Equal(Tagged(3, 2, 6, 4, 0, -1).ToArray(), cache.Values.Contiguous().ToArray());
        cache.Append(Tagged(3, 2, 3, 4, 6), Tagged(3, 2, 3, 4, 6, -1));
        Assert.Equal((9, 9), (cache.Length, cache.Capacity));   // doubling stops at the maximum
        var e = Assert.Throws<ArgumentException>(() => cache.Append(Tagged(3, 2, 1, 4, 9), Tagged(3, 2, 1, 4, 9)));
        Assert.Contains("maximum length 9", e.Message);
    }

    [Fact]
    public void ReleaseEndsTheCacheAndItsViews()
    {
        var cache = new KvCache(2, 2, 4, capacity: 4);
        cache.Append(Tagged(2, 2, 1, 4, 0), Tagged(2, 2, 1, 4, 0, -1));
        cache.Reorder([1, 1, 0]);   // the spare buffers exist too
        var keys = cache.Keys;
        cache.Release();
        cache.Release();            // idempotent
        Assert.True(cache.IsReleased);
        Assert.Contains("released", Assert.Throws<ObjectDisposedException>(() => cache.Keys).Message);
        Assert.Throws<ObjectDisposedException>(() => cache.Append(Tagged(3, 2, 1, 4, 1), Tagged(3, 2, 1, 4, 1)));
        Assert.Throws<ObjectDisposedException>(() => cache.Reorder([0]));
        Assert.ThrowsAny<InvalidOperationException>(() => keys.ToArray());   // a view taken before reads no recycled memory
    }

    [Fact]
    public void ReorderMovesTheRightRowsAndCanExpandOrShrinkTheBatch()
    {
        var cache = new KvCache(3, 2, 4, capacity: 8);
        cache.Append(Tagged(3, 2, 5, 4, 0), Tagged(3, 2, 5, 4, 0, -1));
        var rows = Tagged(3, 2, 5, 4, 0);
        void Expect(params int[] order)
        {
            var expected = Tensor.Stack([.. order.Select(r => rows.Select(0, r))]);
            Assert.Equal(expected.ToArray(), cache.Keys.Contiguous().ToArray());
            Assert.Equal(expected.Neg().ToArray(), cache.Values.Contiguous().ToArray());
        }
        cache.Reorder([2, 0, 0]);
        Expect(2, 0, 0);
        cache.Reorder([1, 0, 2, 2, 1]);   // now old rows 0, 2, 0, 0, 0
        Expect(0, 2, 0, 0, 0);
        cache.Reorder([1]);
        Expect(2);
        Assert.Equal(1, cache.BatchSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Reorder([1]));
    }

    [Fact]
    public void MemoryPaddingFollowsTheRows()
    {
        var mha = new MultiheadAttention(8, 2, batchFirst: true, generator: new Generator(3));
        mha.Eval();
        var memory = Tensor.Randn([3, 5, 8], new Generator(4));
        var pad = Tensor.FromArray(new[] { false, false, false, true, true, false, false, false, false, false, false, true, true, true, true }, 3, 5);
        var cache = mha.ProjectMemory(memory, pad);
        var query = Tensor.Randn([3, 2, 8], new Generator(5));
        var full = mha.Forward(query, memory, memory, pad, needWeights: false).Output;
        Models.ModelTestUtil.Close(full, mha.ForwardCached(query, cache));
        cache.Reorder([2, 2, 0]);
        var picked = Tensor.FromArray(new long[] { 2, 2, 0 }, 3);
        Models.ModelTestUtil.Close(full.IndexSelect(0, picked), mha.ForwardCached(query.IndexSelect(0, picked), cache));
    }
}
