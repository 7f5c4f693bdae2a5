using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>How much the pool keeps (issue 18, the main job under 1 GB): fresh buffers are rounded to size classes so
/// nearby lengths share them, idle bytes stay within the work's peak demand, and the in-use counters follow rents and
/// returns. In the serial collection: the pool is process-wide.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class StoragePoolSizingTests
{
    /// <summary>The naive definition: the smallest multiple of 16 (up to 64), else the smallest 2^k · m / 4 (m = 4..8), that
    /// is at least n.</summary>
    static int NaiveSizeClass(int n)
    {
        for (int c = 16; c <= 64; c += 16)
            if (c >= n) return c;
        for (int k = 6; ; k++)
            for (int m = 4; m <= 8; m++)
                if ((1L << k) * m / 4 >= n) return (int)((1L << k) * m / 4);
    }

    [Fact]
    public void SizeClassesMatchTheirDefinition()
    {
        for (int n = 1; n <= 5000; n++) Assert.Equal(NaiveSizeClass(n), StoragePool.SizeClass(n));
        foreach (int n in new[] { 98_304, 98_305, 131_072, 1 << 20, (1 << 20) + 1, 123_456_789 })
            Assert.Equal(NaiveSizeClass(n), StoragePool.SizeClass(n));
        // Hand-worked: 100 → 112 (64 · 1.75), 1,025 → 1,280 (1,024 · 1.25), 3 · 2^15 stays.
        Assert.Equal(112, StoragePool.SizeClass(100));
        Assert.Equal(1280, StoragePool.SizeClass(1025));
        Assert.Equal(98_304, StoragePool.SizeClass(98_304));
        Assert.Equal(Array.MaxLength, StoragePool.SizeClass(Array.MaxLength));
    }

    [Fact]
    public void NearbyLengthsShareOneBuffer()
    {
        StoragePool.Trim();
        // 200,001 and 229,000 floats are both in the class of 229,376 (2^17 · 1.75).
        var first = StoragePool.Rent<float>(200_001, clear: false, scoped: true);
        Assert.Equal(229_376, first.Length);
        StoragePool.Return(first);
        long fresh = StoragePool.FreshBytes;
        Assert.Same(first, StoragePool.Rent<float>(229_000, clear: true, scoped: true));
        Assert.Equal(fresh, StoragePool.FreshBytes);
        Assert.All(first.AsSpan(0, 229_000).ToArray(), v => Assert.Equal(0f, v));
        StoragePool.Return(first);
    }

    [Fact]
    public void AllocatedBytesFollowRentsAndReturnsAndThePeakStays()
    {
        StoragePool.Trim();
        StoragePool.ResetPeakStats();
        long before = StoragePool.AllocatedBytes;
        var a = StoragePool.Rent<float>(1 << 20, clear: false, scoped: true);
        var b = StoragePool.Rent<double>(1 << 18, clear: false, scoped: true);
        Assert.Equal(before + (4L << 20) + (2L << 20), StoragePool.AllocatedBytes);
        StoragePool.Return(a);
        StoragePool.Return(b);
        Assert.Equal(before, StoragePool.AllocatedBytes);
        Assert.True(StoragePool.MaxAllocatedBytes >= before + (6L << 20));
        StoragePool.ResetPeakStats();
        Assert.Equal(StoragePool.AllocatedBytes, StoragePool.MaxAllocatedBytes);
    }

    [Fact]
    public void IdleBytesStayWithinThePeakDemand()
    {
        long saved = StoragePool.MaxPooledBytes;
        try
        {
            StoragePool.MaxPooledBytes = 1L << 30;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            StoragePool.ReturnIdleMemory();   // a new phase: the demand starts from what is held now
            long held = StoragePool.AllocatedBytes;
            const long Phase = 96L << 20;

            // Phase 1: 24 buffers of 4 MiB at once, all returned.
            var large = Enumerable.Range(0, 24).Select(_ => StoragePool.Rent<float>(1 << 20, clear: false, scoped: true)).ToArray();
            foreach (var x in large) StoragePool.Return(x);
            Assert.Equal(Phase, StoragePool.PooledBytes);

            // Phase 2: as many bytes in buffers four times smaller (beyond the best-fit slack of 2, so none reuses a
            // phase-1 buffer): a pool bounded only by MaxPooledBytes would now hold both phases, 192 MiB.
            long dropped = StoragePool.DroppedBytes;
            var small = Enumerable.Range(0, 96).Select(_ => StoragePool.Rent<float>(1 << 18, clear: false, scoped: true)).ToArray();
            foreach (var x in small) StoragePool.Return(x);

            long limit = Math.Max(StoragePool.MinIdleLimit, held + Phase);
            Assert.Equal(limit, StoragePool.IdleLimit);
            Assert.True(StoragePool.PooledBytes <= limit, $"{StoragePool.PooledBytes} idle bytes, limit {limit}");
            Assert.True(StoragePool.DroppedBytes - dropped >= 2 * Phase - limit);
            // The longest idle went: phase 2's buffers are all still there, newest first.
            Assert.Same(small[^1], StoragePool.Rent<float>(1 << 18, clear: false, scoped: true));
        }
        finally
        {
            StoragePool.MaxPooledBytes = saved;
            StoragePool.ReturnIdleMemory();
        }
    }
}
