using System.Runtime.CompilerServices;

namespace SharpAttention.Tensors;

/// <summary>
/// Reuses tensor buffers so users never Dispose anything: a <see cref="Storage"/> that becomes unreachable (or is
/// released by a scope) returns its array here, and a later tensor of the same element type takes it back. A request
/// for n elements takes the smallest idle buffer of at least n and at most <see cref="MaxSlack"/>·n elements (best
/// fit, as PyTorch's caching allocator does): steps that repeat shapes get exact matches, and steps whose shapes vary
/// (variable-length batches) reuse the buffers of longer ones instead of faulting in fresh memory every step. Tensors
/// use only the first n elements of a larger buffer. Idle bytes are capped at <see cref="MaxPooledBytes"/>.
/// <para>A buffer handed out outside any <see cref="TensorScope"/> comes back only through a finalizer, and
/// finalizers only run after a collection, which the GC schedules by its own budgets: code that drops its tensors
/// without a scope (inference in a loop) would take a fresh, never-touched buffer — page faults on every write — call
/// after call until the heap has grown enough for the GC to step in. So every <see cref="CollectAfterUnscopedBytes"/>
/// handed out without a scope the pool asks for a young-generation collection, whose finalizers bring back the
/// buffers dropped since (PyTorch's caching allocator gets them back by reference counting; .NET has only the GC).
/// Scoped code, such as a training step in a scope, never triggers it.</para>
/// </summary>
public static class StoragePool
{
    static readonly object Gate = new();
    static readonly Dictionary<(Type, int), Stack<Array>> Free = new();
    // The lengths with idle buffers, per element type, for the best-fit search.
    static readonly Dictionary<Type, SortedSet<int>> Lengths = new();

    /// <summary>A request for n elements may take an idle buffer of up to this many times n (small requests may always
    /// take up to n + 64).</summary>
    public const double MaxSlack = 2.0;
    static long pooledBytes;
    static long freshBytes;
    static long reusedBytes;
    static long unscopedSinceCollect;
    static int collections;

    /// <summary>Bytes handed out without a scope between the collections the pool asks for (see the class summary): a
    /// young-generation collection costs well under a millisecond, first writes to 16 MB of fresh pages several.</summary>
    public const long CollectAfterUnscopedBytes = 16L << 20;

    /// <summary>Collections the pool has asked for so far.</summary>
    internal static int Collections => Volatile.Read(ref collections);

    /// <summary>Upper bound on bytes held idle in the pool; buffers beyond it are left to the GC. Default: a quarter
    /// of the memory the GC may use, at most 4 GiB.</summary>
    public static long MaxPooledBytes { get; set; } = Math.Min(4L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Bytes of tensor storage allocated from the managed heap so far (pool misses).</summary>
    public static long FreshBytes => Interlocked.Read(ref freshBytes);

    /// <summary>Bytes of tensor storage served from the pool so far (pool hits).</summary>
    public static long ReusedBytes => Interlocked.Read(ref reusedBytes);

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long PooledBytes { get { lock (Gate) return pooledBytes; } }

    /// <summary>A buffer of <paramref name="length"/> elements; <paramref name="scoped"/>: a scope will return it.</summary>
    internal static T[] Rent<T>(int length, bool clear, bool scoped) where T : unmanaged
    {
        if (length == 0) return [];
        long bytes = (long)length * Unsafe.SizeOf<T>();
        if (!scoped && Interlocked.Add(ref unscopedSinceCollect, bytes) > CollectAfterUnscopedBytes)
        {
            Interlocked.Exchange(ref unscopedSinceCollect, 0);
            Interlocked.Increment(ref collections);
            // Generation 1 too: a dropped storage that was still recently used at the last collection was promoted.
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        }
        lock (Gate)
        {
            if (Lengths.TryGetValue(typeof(T), out var lengths) && lengths.Count > 0)
            {
                int most = (int)Math.Min(int.MaxValue, Math.Max(length + 64L, (long)(length * MaxSlack)));
                var fits = lengths.GetViewBetween(length, most);
                if (fits.Count > 0)
                {
                    int found = fits.Min;
                    var stack = Free[(typeof(T), found)];
                    var array = (T[])stack.Pop();
                    if (stack.Count == 0) lengths.Remove(found);
                    pooledBytes -= (long)found * Unsafe.SizeOf<T>();
                    reusedBytes += bytes;
                    if (clear) Array.Clear(array, 0, length);
                    return array;
                }
            }
        }
        Interlocked.Add(ref freshBytes, bytes);
        return clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    internal static void Return(Array array)
    {
        if (array.Length == 0) return;
        var type = array.GetType().GetElementType()!;
        long bytes = array.LongLength * ElementSize(type);   // Buffer.ByteLength throws past 2 GiB
        lock (Gate)
        {
            if (pooledBytes + bytes > MaxPooledBytes) return;
            if (!Free.TryGetValue((type, array.Length), out var stack))
                Free[(type, array.Length)] = stack = new Stack<Array>();
            if (stack.Count == 0)
            {
                if (!Lengths.TryGetValue(type, out var lengths)) Lengths[type] = lengths = [];
                lengths.Add(array.Length);
            }
            stack.Push(array);
            pooledBytes += bytes;
        }
    }

    static int ElementSize(Type type) =>
        type == typeof(float) ? 4 : type == typeof(double) || type == typeof(long) ? 8 : type == typeof(bool) ? 1
        : System.Runtime.InteropServices.Marshal.SizeOf(type);

    /// <summary>Drops every idle buffer (e.g. after a large one-off computation).</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Free.Clear();
            Lengths.Clear();
            pooledBytes = 0;
        }
    }
}
