using System.Runtime.CompilerServices;
using SharpAttention.Tensors;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tensors;

/// <summary>Buffers of tensors dropped without a scope come back to the pool once it has asked for a collection; scoped
/// ones never make it ask. Not in parallel with other tests: they would rent from the same pool.</summary>
[Collection(GlobalKernelStateCollection.Name)]
public class StoragePoolCollectionTests
{
    const int Floats = 1 << 18;   // 1 MB

    [Fact]
    public void DroppedTensorsComeBackAfterEnoughUnscopedBytes()
    {
        StoragePool.Trim();
        // The first collection comes within the interval in force now (some of it may have been counted before this
        // test); it sets the next interval from its own cost (a slow one after a large heap, a quick one here), and
        // the second collection comes once that many bytes more were handed out, not before, and with the next tensor.
        int first = StoragePool.Collections + 1;
        long interval = StoragePool.CollectAfterUnscopedBytes;
        for (long handedOut = 0; StoragePool.Collections < first; handedOut += 4L * Floats)
        {
            Assert.True(handedOut <= interval + 8L * Floats);
            ForgetRecentlyUsed();
            Drop();
        }
        interval = StoragePool.CollectAfterUnscopedBytes;
        long untilSecond = 0;
        for (; StoragePool.Collections < first + 1; untilSecond += 4L * Floats)
        {
            Assert.True(untilSecond <= interval + 8L * Floats);
            ForgetRecentlyUsed();
            Drop();
        }
        Assert.True(untilSecond >= interval, $"the second collection came after {untilSecond} bytes, before the interval of {interval}");

        GC.WaitForPendingFinalizers();   // the collection found the dropped storages; their finalizers return the buffers
        long reused = StoragePool.ReusedBytes;
        Drop();
        Assert.Equal(4L * Floats, StoragePool.ReusedBytes - reused);
    }

    [Fact]
    public void TensorsDroppedAfterSurvivingCollectionsComeBackToo()
    {
        StoragePool.Trim();
        // A layer's output lives through the collections its forward's later allocations trigger, and so reaches the
        // old generation, which a young collection never looks at.
        Promote();
        ForgetRecentlyUsed();

        int next = StoragePool.Collections + 1;
        while (StoragePool.Collections < next) Drop();
        GC.WaitForPendingFinalizers();
        long reused = StoragePool.ReusedBytes;
        Tensor.Empty([3 * Floats], DType.Float32).FillRaw(1);   // 1 MB buffers do not fit: only the old one does
        Assert.Equal(3L * 4 * Floats, StoragePool.ReusedBytes - reused);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Promote()
    {
        var old = Tensor.Empty([3 * Floats], DType.Float32);
        old.FillRaw(1);
        GC.Collect();
        GC.Collect();
        Assert.Equal(GC.MaxGeneration, GC.GetGeneration(old.Storage));
    }

    [Fact]
    public void ScopedTensorsNeverMakeThePoolCollect()
    {
        int collections = StoragePool.Collections;
        for (long handedOut = 0; handedOut <= 2 * StoragePool.CollectAfterUnscopedBytes; handedOut += 4L * Floats)
        {
            using var scope = TensorScope.Begin();
            Drop();
        }
        Assert.Equal(collections, StoragePool.Collections);
    }

    /// <summary>Buffers this thread touched last stay reachable for a while (Storage.RecentlyUsed): touch another one
    /// often enough to push the dropped ones out.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void ForgetRecentlyUsed()
    {
        var small = Tensor.Empty([1], DType.Float32);
        for (int i = 0; i < 256; i++) small.FillRaw(0);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Drop() => Tensor.Empty([Floats], DType.Float32).FillRaw(1);
}
