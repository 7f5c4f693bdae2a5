using SharpAttention.Tensors;

namespace SharpAttention.Tests.Tensors;

public class StoragePoolTests
{
    [Fact]
    public void ReturningABufferOfMoreThan2GiBDoesNotThrow()
    {
        // 2^29 + 1 floats is 2 GiB + 4 bytes: Buffer.ByteLength throws there, and Return runs in finalizers, where an
        // exception ends the process. The pool's size cap (at most 4 GiB idle) may keep it out or take it; it must not throw.
        var huge = GC.AllocateUninitializedArray<float>((1 << 29) + 1);
        StoragePool.Adopt(huge);
        Assert.Equal((1 << 29) + 1, huge.Length);
    }
}
