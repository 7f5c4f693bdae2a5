using System.Runtime.CompilerServices;

namespace SharpAttention.Tensors;

/// <summary>The flat buffer behind one or more tensor views. Its array goes back to <see cref="StoragePool"/> either
/// deterministically — <see cref="Release"/>, called when the <see cref="TensorScope"/> that owns it ends, or by the
/// autograd engine for gradient temporaries only it could see — or, for storages nobody released, from the finalizer
/// once the last view is collected. After a release the storage refuses every access, so recycled memory is never
/// read through a stale tensor. <see cref="Version"/> counts in-place writes so autograd can detect a saved tensor
/// that was modified before backward (PyTorch's version counter).</summary>
internal sealed class Storage
{
    Array? data;
    internal readonly DType DType;
    internal int Version;
    readonly bool pooled;

    /// <summary>The scope that releases this storage when it ends (null: none; the finalizer returns it), and the
    /// storage's slot in that scope's list, so moving it out is O(1).</summary>
    internal TensorScope? Scope;
    internal int ScopeSlot;

    /// <summary>Set on the buffers the autograd engine creates for a leaf's .Grad, which the optimizer may hand to
    /// the current scope when it drops them (<see cref="Optim.Optimizer.ZeroGrad"/>).</summary>
    internal bool IsEngineGrad;

    Storage(Array data, int length, DType dtype, bool pooled)
    {
        this.data = data;
        Length = length;
        DType = dtype;
        this.pooled = pooled;
    }

    /// <summary>Elements this storage holds. A pooled array may be longer (the pool hands out the best-fitting idle
    /// buffer); the elements past <see cref="Length"/> belong to no tensor.</summary>
    internal int Length { get; }

    /// <summary>True once <see cref="Release"/> has run.</summary>
    internal bool IsReleased => data is null;

    /// <summary>The buffer; throws once released.</summary>
    internal Array Data => data ?? throw ReleasedError();

    internal static Storage Allocate(DType dtype, int length, bool clear)
    {
        var scope = TensorScope.Current;
        bool scoped = scope != null;
        var s = dtype switch
        {
            DType.Float32 => new Storage(StoragePool.Rent<float>(length, clear, scoped), length, dtype, true),
            DType.Float64 => new Storage(StoragePool.Rent<double>(length, clear, scoped), length, dtype, true),
            DType.Int64 => new Storage(StoragePool.Rent<long>(length, clear, scoped), length, dtype, true),
            DType.Bool => new Storage(StoragePool.Rent<bool>(length, clear, scoped), length, dtype, true),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
        scope?.Add(s);
        return s;
    }

    /// <summary>Wraps a caller's array without copying; such arrays never enter the pool or a scope.</summary>
    internal static Storage Wrap(Array data, DType dtype) => new(data, data.Length, dtype, false);

    /// <summary>The buffer as T[]; T must match <see cref="DType"/> (checked in debug builds). Throws once released.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal T[] As<T>()
    {
        var d = data;
        if (d is null) throw ReleasedError();
        System.Diagnostics.Debug.Assert(d is T[]);
        RecentlyUsed.Touch(this);
        return Unsafe.As<T[]>(d);
    }

    /// <summary>Returns the buffer to the pool now. Every view of this storage becomes unusable: touching one throws
    /// rather than reading memory another tensor may already own. Idempotent.</summary>
    internal void Release()
    {
        var d = data;
        if (d is null) return;
        data = null;
        Scope?.Remove(this);
        GC.SuppressFinalize(this);
        if (pooled) StoragePool.Return(d);
    }

    /// <summary>Takes the storage out of any scope: it then lives until collected (parameters, optimizer state,
    /// gradients of leaves, module caches).</summary>
    internal void Unscope() => Scope?.Remove(this);

    [MethodImpl(MethodImplOptions.NoInlining)]
    static InvalidOperationException ReleasedError() => new(
        "this tensor's storage was already released: it was created inside a TensorScope that has ended (or was a " +
        "temporary of backward) and its memory went back to the pool. Keep tensors you need after the scope with " +
        "scope.Keep(t), t.MoveToOuterScope() or t.DetachFromScope().");

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
        if (pooled && data is { } d) StoragePool.Return(d);
    }
}
