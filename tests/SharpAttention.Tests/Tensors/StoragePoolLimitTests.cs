using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>The pool's bound (issue 18, bounded memory): idle bytes never pass <see cref="StoragePool.MaxPooledBytes"/>,
/// the longest-idle buffers go first and are counted, trimming returns idle buffers, and tensors computed while
/// buffers are being dropped and refilled stay right. In the serial collection: the pool is process-wide.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class StoragePoolLimitTests
{
    const int Floats = (1 << 18) + 17;          // a length no other code rents: 1 MB + 68 bytes
    const long Bytes = Floats * sizeof(float);

    /// <summary>Runs <paramref name="body"/> with an empty pool limited to <paramref name="limit"/>, no garbage storage
    /// left to finalize (a finalizer returning a buffer mid-test would push test buffers out), the limit restored after.</summary>
    static void WithLimit(long limit, Action body)
    {
        long saved = StoragePool.MaxPooledBytes;
        try
        {
            for (int i = 0; i < 2; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            StoragePool.Trim();
            StoragePool.MaxPooledBytes = limit;
            body();
        }
        finally
        {
            StoragePool.MaxPooledBytes = saved;
        }
    }

    static float[][] Buffers(int n) => [.. Enumerable.Range(0, n).Select(i => { var a = new float[Floats]; a[0] = i; return a; })];

    [Fact]
    public void BuffersBeyondTheLimitAreDroppedLongestIdleFirstAndCounted() => WithLimit(3 * Bytes + 100, () =>
    {
        long droppedBytes = StoragePool.DroppedBytes, droppedBuffers = StoragePool.DroppedBuffers;
        var buffers = Buffers(5);
        foreach (var b in buffers) StoragePool.Adopt(b);

        Assert.Equal(3 * Bytes, StoragePool.PooledBytes);
        Assert.Equal(3, StoragePool.PooledBuffers);
        Assert.Equal(2, StoragePool.DroppedBuffers - droppedBuffers);
        Assert.Equal(2 * Bytes, StoragePool.DroppedBytes - droppedBytes);
        // The three returned last are the ones kept, newest handed out first.
        Assert.Same(buffers[4], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
        Assert.Same(buffers[3], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
        Assert.Same(buffers[2], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
        Assert.Equal(0, StoragePool.PooledBytes);
        Assert.NotSame(buffers[1], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
    });

    [Fact]
    public void ABufferLargerThanTheLimitIsNeverKept() => WithLimit(Bytes - 1, () =>
    {
        long dropped = StoragePool.DroppedBuffers;
        StoragePool.Adopt(new float[Floats]);
        Assert.Equal(0, StoragePool.PooledBytes);
        Assert.Equal(1, StoragePool.DroppedBuffers - dropped);
    });

    [Fact]
    public void LoweringTheLimitDropsIdleBuffersAtOnce() => WithLimit(4 * Bytes, () =>
    {
        var buffers = Buffers(4);
        foreach (var b in buffers) StoragePool.Adopt(b);
        Assert.Equal(4 * Bytes, StoragePool.PooledBytes);
        long dropped = StoragePool.DroppedBuffers;

        StoragePool.MaxPooledBytes = Bytes;
        Assert.Equal(Bytes, StoragePool.PooledBytes);
        Assert.Equal(3, StoragePool.DroppedBuffers - dropped);
        Assert.Same(buffers[3], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
    });

    [Fact]
    public void TrimKeepsTheNewestAndReturnIdleMemoryEmptiesThePool() => WithLimit(8 * Bytes, () =>
    {
        var buffers = Buffers(4);
        foreach (var b in buffers) StoragePool.Adopt(b);

        StoragePool.Trim(2 * Bytes);
        Assert.Equal(2 * Bytes, StoragePool.PooledBytes);
        Assert.Same(buffers[3], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
        StoragePool.Return(buffers[3]);

        int collections = StoragePool.FullCollections;
        StoragePool.ReturnIdleMemory();
        Assert.Equal(0, StoragePool.PooledBytes);
        Assert.Equal(0, StoragePool.PooledBuffers);
        Assert.Equal(collections + 1, StoragePool.FullCollections);
        Assert.NotSame(buffers[3], StoragePool.Rent<float>(Floats, clear: false, scoped: true));
    });

    [Fact]
    public void ResultsStayRightWhileThePoolDropsAndRefillsBuffers()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([64, 96], g);
        var b = Tensor.Randn([96, 80], g);
        float[] expected = a.MatMul(b).Relu().Sum(1).ToArray();
        // A limit of about two of the step's buffers: every step drops some and takes fresh or recycled others.
        WithLimit(2 * 64 * 96 * sizeof(float), () =>
        {
            long dropped = StoragePool.DroppedBuffers;
            for (int step = 0; step < 20; step++)
            {
                using var scope = TensorScope.Begin();
                var scratch = Tensor.Full([64, 96 + step], -1f);    // other shapes in between, rented and dropped
                Assert.Equal(expected, a.MatMul(b).Relu().Sum(1).ToArray());
                Assert.Equal(-64f * (96 + step), scratch.Sum().Item());
            }
            Assert.True(StoragePool.DroppedBuffers > dropped, "the limit never dropped a buffer: the test tests nothing");
        });
    }

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512mb", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("64k", 64L << 10)]
    [InlineData("0", 0L)]
    public void ParseBytesReadsCountsAndSuffixes(string text, long bytes) => Assert.Equal(bytes, StoragePool.ParseBytes(text));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1G")]
    [InlineData("12T")]
    [InlineData("1e3")]
    public void ParseBytesRefusesOtherText(string text) => Assert.Null(StoragePool.ParseBytes(text));
}
