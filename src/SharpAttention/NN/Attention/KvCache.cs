using System.Numerics;
using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Attention;

/// <summary>
/// The keys and values one attention layer keeps between decoding steps (the KV cache of incremental decoding:
/// fairseq's incremental_state, Hugging Face's past_key_values), so that a step projects only its new positions and
/// a token costs one position instead of the whole prefix. Self-attention appends each step's keys and values
/// (<see cref="MultiheadAttention.ForwardIncremental"/>); cross-attention projects the encoder's memory once
/// (<see cref="MultiheadAttention.ProjectMemory"/>) and keeps the memory's key padding beside it.
/// <para>Storage is preallocated, (B, Hkv, Capacity, D), and grows by doubling up to <see cref="MaxLength"/>, so a
/// step does not reallocate; <see cref="Reorder"/> (beam search) copies rows into a second buffer of the same size
/// and swaps the two. Buffers are taken out of any <see cref="TensorScope"/>: a cache outlives the per-step scopes
/// of the loop that fills it. Inference only: nothing here is recorded by autograd.</para>
/// </summary>
public sealed class KvCache
{
    Tensor keys, values;                 // (rows allocated, Hkv, Capacity, D); rows [0, BatchSize) and steps [0, Length) in use
    Tensor? spareKeys, spareValues;      // Reorder's target, same layout
    long[]? keyLengths;

    /// <summary>Rows (sequences) in the cache.</summary>
    public int BatchSize { get; private set; }

    /// <summary>Positions cached so far (S).</summary>
    public int Length { get; private set; }

    /// <summary>Positions the buffers hold before they must grow.</summary>
    public int Capacity => keys.Size(2);

    /// <summary>Most positions the cache may ever hold (the model's longest sequence), or null for no limit.</summary>
    public int? MaxLength { get; }

    public int NumKvHeads { get; }
    public int HeadDim { get; }
    public DType DType => keys.DType;

    /// <summary>Cross-attention: Int64 (B) count of valid (unpadded) memory keys per row, or null.</summary>
    internal Tensor? KeyLengths { get; private set; }

    /// <summary>Cross-attention: the memory padding as a scaled_dot_product_attention mask (B, 1, 1, S), when it is
    /// not a plain suffix of each row; else null.</summary>
    internal Tensor? Mask { get; private set; }

    /// <param name="batchSize">B</param>
    /// <param name="numKvHeads">Hkv</param>
    /// <param name="headDim">D</param>
    /// <param name="capacity">positions to allocate now (at least 1)</param>
    /// <param name="maxLength">most positions ever, or null</param>
    /// <param name="dtype">of the keys and values</param>
    public KvCache(int batchSize, int numKvHeads, int headDim, int capacity = 64, int? maxLength = null, DType dtype = DType.Float32)
    {
        if (batchSize < 0 || numKvHeads <= 0 || headDim <= 0)
            throw new ArgumentException($"KvCache: need batch_size ≥ 0, num_kv_heads > 0 and head_dim > 0, got {batchSize}, {numKvHeads}, {headDim}");
        if (maxLength is < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "KvCache: max_length must be positive");
        (BatchSize, NumKvHeads, HeadDim, MaxLength) = (batchSize, numKvHeads, headDim, maxLength);
        capacity = Math.Clamp(capacity, 1, maxLength ?? int.MaxValue);
        (keys, values) = (Buffer(batchSize, capacity, dtype), Buffer(batchSize, capacity, dtype));
    }

    /// <summary>The cached keys (B, Hkv, Length, D): a view of the buffer, valid until the next append or reorder.</summary>
    public Tensor Keys => InUse(keys);

    /// <summary>The cached values (B, Hkv, Length, D), as <see cref="Keys"/>.</summary>
    public Tensor Values => InUse(values);

    Tensor InUse(Tensor buffer)
    {
        ThrowIfReleased();
        return buffer.Narrow(0, 0, BatchSize).Narrow(2, 0, Length);
    }

    /// <summary>Whether <see cref="Release"/> was called.</summary>
    public bool IsReleased { get; private set; }

    /// <summary>
    /// Hands the buffers back to the storage pool now rather than when the GC finalizes them. Optional, as everywhere
    /// in the library, but worth it in a loop: the buffers are large (they live in the large-object heap, collected
    /// only by full collections), so a beam search over many batches otherwise holds gigabytes of dead caches.
    /// The cache cannot be used afterwards (its methods throw); idempotent.
    /// </summary>
    public void Release()
    {
        if (IsReleased) return;
        IsReleased = true;
        keys.Storage.Release();
        values.Storage.Release();
        spareKeys?.Storage.Release();
        spareValues?.Storage.Release();
    }

    void ThrowIfReleased()
    {
        if (IsReleased) throw new ObjectDisposedException(nameof(KvCache), "KvCache: the cache was released");
    }

    Tensor Buffer(int rows, int capacity, DType dtype) => Tensor.Empty([rows, NumKvHeads, capacity, HeadDim], dtype).DetachFromScope();

    /// <summary>Appends the keys and values of T new positions, growing the buffers when they are full.</summary>
    /// <param name="k">(B, Hkv, T, D), any strides</param>
    /// <param name="v">(B, Hkv, T, D)</param>
    public void Append(Tensor k, Tensor v)
    {
        ThrowIfReleased();
        int t = k.Size(2);
        if (k.Dim != 4 || k.Size(0) != BatchSize || k.Size(1) != NumKvHeads || k.Size(3) != HeadDim || !v.Shape.SequenceEqual(k.Shape))
            throw new ArgumentException($"KvCache: expected keys and values ({BatchSize}, {NumKvHeads}, T, {HeadDim}), got " +
                                        $"{ShapeUtil.Format(k.Shape)} and {ShapeUtil.Format(v.Shape)}");
        int needed = Length + t;
        if (needed > (MaxLength ?? int.MaxValue))
            throw new ArgumentException($"KvCache: {needed} positions exceed the maximum length {MaxLength}");
        if (needed > Capacity) Grow(Math.Min(Math.Max(needed, 2 * Capacity), MaxLength ?? int.MaxValue));
        using (GradMode.NoGrad())
        {
            keys.Narrow(0, 0, BatchSize).Narrow(2, Length, t).CopyFrom_(k);
            values.Narrow(0, 0, BatchSize).Narrow(2, Length, t).CopyFrom_(v);
        }
        Length = needed;
    }

    void Grow(int capacity)
    {
        var (k, v) = (Buffer(keys.Size(0), capacity, DType), Buffer(values.Size(0), capacity, DType));
        CopyRows(keys, k, default, identity: true);
        CopyRows(values, v, default, identity: true);
        (keys, values, spareKeys, spareValues) = (k, v, null, null);
    }

    /// <summary>Row i becomes old row <paramref name="rows"/>[i] (beam search's reordering; repeating rows expands a
    /// batch, leaving rows out shrinks it). Cached memory padding follows its rows.</summary>
    public void Reorder(ReadOnlySpan<int> rows)
    {
        ThrowIfReleased();
        foreach (int r in rows)
            if ((uint)r >= (uint)BatchSize) throw new ArgumentOutOfRangeException(nameof(rows), r, $"KvCache: row index outside [0, {BatchSize})");
        int n = rows.Length;
        if (spareKeys is null || spareKeys.Size(0) < n)
            (spareKeys, spareValues) = (Buffer(Math.Max(n, keys.Size(0)), Capacity, DType), Buffer(Math.Max(n, keys.Size(0)), Capacity, DType));
        CopyRows(keys, spareKeys, rows);
        CopyRows(values, spareValues!, rows);
        (keys, spareKeys) = (spareKeys, keys);
        (values, spareValues) = (spareValues!, values);
        if (keyLengths is not null)
        {
            var picked = new long[n];
            for (int i = 0; i < n; i++) picked[i] = keyLengths[rows[i]];
            SetPadding(null, picked);
        }
        if (Mask is not null)
        {
            var index = new long[n];
            for (int i = 0; i < n; i++) index[i] = rows[i];
            using (GradMode.NoGrad()) Mask = Mask.IndexSelect(0, Tensor.FromArray(index, n)).DetachFromScope();
        }
        BatchSize = n;
    }

    /// <summary>Forgets every position (the buffers stay allocated).</summary>
    public void Clear() => Length = 0;

    /// <summary>Sets the memory padding a cross-attention cache applies (one of the two, or neither).</summary>
    internal void SetPadding(Tensor? mask, long[]? lengths)
    {
        Mask = mask?.DetachFromScope();
        keyLengths = lengths;
        KeyLengths = lengths is null ? null : Tensor.FromArray(lengths, lengths.Length).DetachFromScope();
    }

    /// <summary>Copies the first Length positions of the given rows (of every row in order with <paramref name="identity"/>)
    /// from one buffer into the leading rows of another; capacities may differ.</summary>
    void CopyRows(Tensor from, Tensor to, ReadOnlySpan<int> rows, bool identity = false)
    {
        if (from.DType == DType.Float32) CopyRows<float>(from, to, rows, identity);
        else if (from.DType == DType.Float64) CopyRows<double>(from, to, rows, identity);
        else throw new NotSupportedException($"KvCache: dtype {from.DType.TorchName()}");
    }

    void CopyRows<T>(Tensor from, Tensor to, ReadOnlySpan<int> rows, bool identity) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = from.Span<T>();
        var dst = to.Span<T>();
        int n = identity ? BatchSize : rows.Length, block = Length * HeadDim;
        long srcHead = (long)from.Size(2) * HeadDim, dstHead = (long)to.Size(2) * HeadDim;
        for (int i = 0; i < n; i++)
        {
            int r = identity ? i : rows[i];
            for (int h = 0; h < NumKvHeads; h++)
                src.Slice((int)(((long)r * NumKvHeads + h) * srcHead), block).CopyTo(dst.Slice((int)(((long)i * NumKvHeads + h) * dstHead), block));
        }
    }
}
