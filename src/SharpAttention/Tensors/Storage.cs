using System.Runtime.CompilerServices;

namespace SharpAttention.Tensors;

/// <summary>The flat buffer behind one or more tensor views. Its array goes back to <see cref="StoragePool"/>
/// when the last view is collected. <see cref="Version"/> counts in-place writes so autograd can detect a saved
/// tensor that was modified before backward (PyTorch's version counter).</summary>
internal sealed class Storage
{
    internal readonly Array Data;
    internal readonly DType DType;
    internal int Version;
    readonly bool pooled;

    Storage(Array data, DType dtype, bool pooled)
    {
        Data = data;
        DType = dtype;
        this.pooled = pooled;
    }

    internal int Length => Data.Length;

    internal static Storage Allocate(DType dtype, int length, bool clear) => dtype switch
    {
        DType.Float32 => new Storage(StoragePool.Rent<float>(length, clear), dtype, true),
        DType.Float64 => new Storage(StoragePool.Rent<double>(length, clear), dtype, true),
        DType.Int64 => new Storage(StoragePool.Rent<long>(length, clear), dtype, true),
        DType.Bool => new Storage(StoragePool.Rent<bool>(length, clear), dtype, true),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Wraps a caller's array without copying; such arrays never enter the pool.</summary>
    internal static Storage Wrap(Array data, DType dtype) => new(data, dtype, false);

    /// <summary>The buffer as T[]; T must match <see cref="DType"/> (checked in debug builds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T[] As<T>()
    {
        System.Diagnostics.Debug.Assert(Data is T[]);
        RecentlyUsed.Touch(this);
        return Unsafe.As<T[]>(Data);
    }

    /// <summary>
    /// Keeps the storages whose buffers were last handed out on this thread reachable. A kernel works on a span of
    /// the array while the tensor that owned it may already be unreachable (a temporary); without this its
    /// finalizer could return the array to the pool, and another thread could rent and overwrite it mid-kernel.
    /// No op touches anywhere near <see cref="Size"/> buffers, so a buffer stays owned until its op has finished.
    /// </summary>
    internal static class RecentlyUsed
    {
        const int Size = 128;
        [ThreadStatic] static Storage?[]? ring;
        [ThreadStatic] static int next;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Touch(Storage s)
        {
            var r = ring ??= new Storage?[Size];
            r[next] = s;
            next = (next + 1) & (Size - 1);
        }

        /// <summary>Drops this thread's references: parallel workers call it when their share of an op is done
        /// (the op's own thread keeps the tensors alive), so pool threads do not pin buffers across steps.</summary>
        public static void Forget()
        {
            if (ring != null) Array.Clear(ring);
        }
    }

    ~Storage()
    {
        if (pooled) StoragePool.Return(Data);
    }
}
