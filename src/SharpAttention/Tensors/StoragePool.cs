using System.Globalization;
using System.Numerics;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace SharpAttention.Tensors;

/// <summary>
/// Reuses tensor buffers so users never Dispose anything: a <see cref="Storage"/> that becomes unreachable (or is
/// released by a scope) returns its array here, and a later tensor of the same element type takes it back. A request
/// for n elements takes the smallest idle buffer of at least n and at most <see cref="MaxSlack"/>·n elements (best
/// fit, as PyTorch's caching allocator does): steps that repeat shapes get exact matches, and steps whose shapes vary
/// (variable-length batches) reuse the buffers of longer ones instead of faulting in fresh memory every step. A fresh
/// buffer is rounded up to its size class (<see cref="SizeClass"/>: four per power of two, as PyTorch's caching
/// allocator does with <c>roundup_power2_divisions</c>), so the buffers of batches a few tokens apart are the same
/// buffer rather than one idle buffer per length seen. Tensors use only the first n elements of a larger buffer.
/// <para>Bounded: idle bytes never exceed <see cref="IdleLimit"/> — the most bytes tensors have held at once (the
/// work's own peak, so a training step still finds its whole working set) and never more than
/// <see cref="MaxPooledBytes"/> (default <see cref="DefaultMaxPooledBytes"/>, a fraction of the memory the process may
/// use; $SHARPATTENTION_POOL_LIMIT, e.g. <c>512M</c>, overrides it). A buffer coming back to a full pool pushes out the
/// buffers idle the longest (least recently returned first), which are left to the GC and counted in
/// <see cref="DroppedBytes"/>. Dropped buffers live in the large-object heap, which only a full collection reclaims, so
/// once <see cref="CollectAfterDroppedBytes"/> have been dropped the pool runs one that also decommits the freed memory
/// (on the next rent, never on the finalizer thread): resident memory follows the limit instead of the GC's own
/// budgets. <see cref="AllocatedBytes"/> and <see cref="MaxAllocatedBytes"/> report what tensors hold (torch's
/// <c>memory_allocated</c> and <c>max_memory_allocated</c>).
/// <see cref="ReturnIdleMemory"/> hands everything idle back to the operating system (after an epoch, an evaluation, a
/// batch of one-off large buffers).</para>
/// <para>A buffer handed out outside any <see cref="TensorScope"/> comes back only through a finalizer, and
/// finalizers only run after a collection, which the GC schedules by its own budgets: code that drops its tensors
/// without a scope (inference in a loop) would take a fresh, never-touched buffer — page faults on every write — call
/// after call until the heap has grown enough for the GC to step in. So every <see cref="CollectAfterUnscopedBytes"/>
/// handed out without a scope the pool asks for a collection, whose finalizers bring back the buffers dropped since
/// (PyTorch's caching allocator gets them back by reference counting; .NET has only the GC). A full one: a storage
/// alive at two young collections (a layer's output, during a forward that allocates far more than the interval)
/// is promoted to the old generation, which young collections never look at — with gen-1 collections a 32 × 256
/// encoder forward called without a scope kept 4–9 GB of dead buffers handed out and faulted in a fresh 120 MB a call.
/// A full collection costs with the live heap, so the interval grows with its measured cost
/// (<see cref="CollectionCostBytesPerMs"/>). Scoped code, such as a training step or a model's forward under no-grad
/// (NN.ForwardScope), never triggers it.</para>
/// </summary>
public static class StoragePool
{
    /// <summary>An idle buffer and when it came back (the pool's return counter: the eviction order).</summary>
    readonly record struct Idle(Array Array, long Returned);

    static readonly object Gate = new();
    // Idle buffers per (element type, length), oldest first: the newest is reused first, so the oldest stay idle and
    // are dropped first.
    static readonly Dictionary<(Type, int), List<Idle>> Free = new();
    // The lengths with idle buffers, per element type, for the best-fit search.
    static readonly Dictionary<Type, SortedSet<int>> Lengths = new();

    /// <summary>A request for n elements may take an idle buffer of up to this many times n (small requests may always
    /// take up to n + 64).</summary>
    public const double MaxSlack = 2.0;
    static long pooledBytes;
    static long freshBytes;
    static long reusedBytes;
    static long droppedBytes;
    static long droppedBuffers;
    static long returns;
    static long allocatedBytes;
    static long maxAllocatedBytes;
    static long demandBytes;
    static long droppedSinceCollect;
    static long unscopedSinceCollect;
    static int collections;
    static int fullCollections;

    /// <summary>The least bytes handed out without a scope between the collections the pool asks for (see the class
    /// summary): a full collection of a small heap costs about a millisecond, first writes to 16 MB of fresh pages
    /// several.</summary>
    public const long MinCollectAfterUnscopedBytes = 16L << 20;

    /// <summary>Bytes handed out without a scope per millisecond the last collection the pool asked for took: so those
    /// collections cost at most about a quarter of the page faults they save (first writes to fresh pages run at about
    /// 4 MB/ms) however large the application's heap is.</summary>
    public const long CollectionCostBytesPerMs = 16L << 20;

    static long collectAfterUnscopedBytes = MinCollectAfterUnscopedBytes;

    /// <summary>Bytes handed out without a scope between the collections the pool asks for now: at least
    /// <see cref="MinCollectAfterUnscopedBytes"/>, more when the last one took over a millisecond, at most 1 GiB.</summary>
    public static long CollectAfterUnscopedBytes => Interlocked.Read(ref collectAfterUnscopedBytes);

    /// <summary>The environment variable that sets <see cref="MaxPooledBytes"/> at start: bytes, or a number with a
    /// K, M or G suffix (powers of 1,024), e.g. <c>512M</c>.</summary>
    public const string LimitVariable = "SHARPATTENTION_POOL_LIMIT";

    /// <summary>The default <see cref="MaxPooledBytes"/>: 1/16 of the memory the GC may use (physical memory, or a
    /// container's or DOTNET_GCHeapHardLimit's limit), between 64 MiB and 4 GiB: 1.5 GiB with 24 GB. A training step
    /// in a <see cref="TensorScope"/> hands its whole working set back at its end and asks for the same buffers again,
    /// so the pool must hold a step: at 1/64 (376 MiB) the benchmark's reference model (batch 32 × 128, vocabulary
    /// 8,000) allocated 916 MB a step afresh and trained 7 % slower, and the G2P quick recipe at 128 MiB ran at half its
    /// speed. The limit still stops the pool from keeping a buffer of every shape it has ever seen.</summary>
    public static long DefaultMaxPooledBytes { get; } =
        Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16, 64L << 20, 4L << 30);

    // After DefaultMaxPooledBytes: static initializers run in textual order.
    static long maxPooledBytes = LimitFromEnvironment() ?? DefaultMaxPooledBytes;

    /// <summary>Collections the pool has asked for so far for unscoped buffers.</summary>
    internal static int Collections => Volatile.Read(ref collections);

    /// <summary>Full collections the pool has run to reclaim the buffers it dropped.</summary>
    public static int FullCollections => Volatile.Read(ref fullCollections);

    /// <summary>Upper bound on bytes held idle in the pool; buffers beyond it are left to the GC, the longest idle
    /// first. Lowering it drops idle buffers at once. Set it before heavy work; 0 turns pooling off.</summary>
    public static long MaxPooledBytes
    {
        get => Interlocked.Read(ref maxPooledBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(MaxPooledBytes));
            lock (Gate)
            {
                maxPooledBytes = value;
                DropOldest(value);
            }
        }
    }

    /// <summary>The least <see cref="IdleLimit"/> (unless <see cref="MaxPooledBytes"/> is lower).</summary>
    public const long MinIdleLimit = 64L << 20;

    /// <summary>The idle bytes the pool keeps now: <see cref="MaxPooledBytes"/>, but never more than the most bytes
    /// tensors have held at once since the start or the last <see cref="ReturnIdleMemory"/> (at least
    /// <see cref="MinIdleLimit"/>). Idle buffers beyond that peak could never all be in use at once: they are buffers of
    /// shapes the work no longer asks for. A training step ends by handing its whole working set back, and the peak
    /// holds it, so the step still finds its buffers; the G2P quick recipe, whose steps need 0.2–0.6 GB, no longer
    /// fills a 1.5 GiB pool with buffers of every batch length it has seen.</summary>
    public static long IdleLimit => Math.Min(MaxPooledBytes, Math.Max(MinIdleLimit, Interlocked.Read(ref demandBytes)));

    /// <summary>The bytes after which the buffers dropped since the last full collection are reclaimed by another
    /// one: half the idle limit, at least 64 MiB (a full collection of a heap of large arrays takes milliseconds).</summary>
    public static long CollectAfterDroppedBytes => Math.Max(32L << 20, IdleLimit / 8);

    /// <summary>Bytes of tensor storage allocated from the managed heap so far (pool misses).</summary>
    public static long FreshBytes => Interlocked.Read(ref freshBytes);

    /// <summary>Bytes of tensor storage served from the pool so far (pool hits).</summary>
    public static long ReusedBytes => Interlocked.Read(ref reusedBytes);

    /// <summary>Bytes of released buffers the pool did not keep (over <see cref="MaxPooledBytes"/>, or trimmed).</summary>
    public static long DroppedBytes { get { lock (Gate) return droppedBytes; } }

    /// <summary>Released buffers the pool did not keep (over <see cref="MaxPooledBytes"/>, or trimmed).</summary>
    public static long DroppedBuffers { get { lock (Gate) return droppedBuffers; } }

    /// <summary>Bytes currently idle in the pool.</summary>
    public static long PooledBytes { get { lock (Gate) return pooledBytes; } }

    /// <summary>Idle buffers currently in the pool.</summary>
    public static int PooledBuffers { get { lock (Gate) return Free.Values.Sum(l => l.Count); } }

    /// <summary>A buffer of <paramref name="length"/> elements; <paramref name="scoped"/>: a scope will return it.</summary>
    internal static T[] Rent<T>(int length, bool clear, bool scoped) where T : unmanaged
    {
        if (length == 0) return [];
        long bytes = (long)length * Unsafe.SizeOf<T>();
        if (Volatile.Read(ref droppedSinceCollect) >= CollectAfterDroppedBytes) CollectDropped();
        if (!scoped && Interlocked.Add(ref unscopedSinceCollect, bytes) > CollectAfterUnscopedBytes)
        {
            Interlocked.Exchange(ref unscopedSinceCollect, 0);
            CollectUnscoped();
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
                    var list = Free[(typeof(T), found)];
                    var array = (T[])list[^1].Array;
                    list.RemoveAt(list.Count - 1);
                    if (list.Count == 0) lengths.Remove(found);
                    pooledBytes -= (long)found * Unsafe.SizeOf<T>();
                    reusedBytes += bytes;
                    Handed((long)found * Unsafe.SizeOf<T>());
                    if (clear) Array.Clear(array, 0, length);
                    return array;
                }
            }
        }
        int rounded = SizeClass(length);
        Interlocked.Add(ref freshBytes, (long)rounded * Unsafe.SizeOf<T>());
        Handed((long)rounded * Unsafe.SizeOf<T>());
        return clear ? new T[rounded] : GC.AllocateUninitializedArray<T>(rounded);
    }

    /// <summary>The length of a fresh buffer for <paramref name="length"/> elements: a multiple of 16 up to 64, then the
    /// next of 2^k × {1, 1.25, 1.5, 1.75} (at most 25 % more, 12 % on average). Measured on the G2P quick recipe, whose
    /// bucketed batches change length every step: with one buffer per exact length the pool held 2,400–2,800 idle
    /// buffers (1.05 GB) after 500 steps and kept allocating afresh.</summary>
    public static int SizeClass(int length)
    {
        if (length <= 64) return (length + 15) & ~15;
        int step = 1 << (BitOperations.Log2((uint)length) - 2);
        long rounded = ((long)length + step - 1) & ~(long)(step - 1);
        return rounded <= Array.MaxLength ? (int)rounded : length;
    }

    /// <summary>Takes back a buffer <see cref="Rent"/> handed out.</summary>
    internal static void Return(Array array) => Keep(array, handedOut: true);

    /// <summary>Takes a caller's array, which the pool never handed out, as an idle buffer (not counted in
    /// <see cref="AllocatedBytes"/>).</summary>
    internal static void Adopt(Array array) => Keep(array, handedOut: false);

    static void Keep(Array array, bool handedOut)
    {
        if (array.Length == 0) return;
        var type = array.GetType().GetElementType()!;
        long bytes = array.LongLength * ElementSize(type);   // Buffer.ByteLength throws past 2 GiB
        if (handedOut) Interlocked.Add(ref allocatedBytes, -bytes);
        lock (Gate)
        {
            long limit = IdleLimit;
            if (bytes > limit)
            {
                Dropped(bytes);
                return;
            }
            DropOldest(limit - bytes);
            if (!Free.TryGetValue((type, array.Length), out var list))
                Free[(type, array.Length)] = list = [];
            if (list.Count == 0)
            {
                if (!Lengths.TryGetValue(type, out var lengths)) Lengths[type] = lengths = [];
                lengths.Add(array.Length);
            }
            list.Add(new Idle(array, returns++));
            pooledBytes += bytes;
        }
    }

    /// <summary>Counts a buffer handed out and moves the high-water mark.</summary>
    static void Handed(long bytes)
    {
        long now = Interlocked.Add(ref allocatedBytes, bytes);
        Raise(ref maxAllocatedBytes, now);
        Raise(ref demandBytes, now);
    }

    static void Raise(ref long peak, long value)
    {
        for (long seen = Interlocked.Read(ref peak); value > seen; seen = Interlocked.Read(ref peak))
            if (Interlocked.CompareExchange(ref peak, value, seen) == seen) return;
    }

    /// <summary>Bytes of pooled buffers held by live tensors now: handed out and not yet returned (torch's
    /// <c>memory_allocated</c>). Buffers are counted at their full (size-class) length.</summary>
    public static long AllocatedBytes => Interlocked.Read(ref allocatedBytes);

    /// <summary>The most <see cref="AllocatedBytes"/> since the start or the last <see cref="ResetPeakStats"/> (torch's
    /// <c>max_memory_allocated</c>): what a training step needs at once.</summary>
    public static long MaxAllocatedBytes => Interlocked.Read(ref maxAllocatedBytes);

    /// <summary>Starts <see cref="MaxAllocatedBytes"/> again from the current <see cref="AllocatedBytes"/>.</summary>
    public static void ResetPeakStats() => Interlocked.Exchange(ref maxAllocatedBytes, AllocatedBytes);

    static int ElementSize(Type type) =>
        type == typeof(float) ? 4 : type == typeof(double) || type == typeof(long) ? 8 : type == typeof(bool) ? 1
        : System.Runtime.InteropServices.Marshal.SizeOf(type);

    /// <summary>Drops the longest-idle buffers until at most <paramref name="keep"/> bytes are idle. Under the lock.</summary>
    static void DropOldest(long keep)
    {
        while (pooledBytes > keep)
        {
            // The oldest idle buffer is the first of some list; lists are few (one per length in use), so a scan does.
            (Type, int) oldestKey = default;
            long oldest = long.MaxValue;
            foreach (var (key, list) in Free)
                if (list.Count > 0 && list[0].Returned < oldest) (oldestKey, oldest) = (key, list[0].Returned);
            var from = Free[oldestKey];
            long bytes = from[0].Array.LongLength * ElementSize(oldestKey.Item1!);
            from.RemoveAt(0);
            if (from.Count == 0)
            {
                Free.Remove(oldestKey);
                Lengths[oldestKey.Item1!].Remove(oldestKey.Item2);
            }
            pooledBytes -= bytes;
            Dropped(bytes);
        }
    }

    static void Dropped(long bytes)
    {
        droppedBytes += bytes;
        droppedBuffers++;
        Interlocked.Add(ref droppedSinceCollect, bytes);
    }

    /// <summary>A full, non-compacting collection for the storages dropped without a scope (see the class summary); the
    /// next interval follows its cost.</summary>
    static void CollectUnscoped()
    {
        Interlocked.Increment(ref collections);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        Interlocked.Exchange(ref collectAfterUnscopedBytes,
            (long)Math.Clamp(ms * CollectionCostBytesPerMs, MinCollectAfterUnscopedBytes, 1L << 30));
    }

    /// <summary>A full collection, so the large-object heap gives back the buffers dropped since the last one.</summary>
    static void CollectDropped()
    {
        if (Interlocked.Exchange(ref droppedSinceCollect, 0) == 0) return;
        CollectAggressively();
    }

    /// <summary>A full, compacting collection that also decommits the freed memory. A forced compacting collection
    /// leaves freed regions committed (resident) for the GC to reuse: after 600 steps of the G2P quick recipe, 1,688 MB
    /// committed for a 194 MB heap.</summary>
    static void CollectAggressively()
    {
        Interlocked.Increment(ref fullCollections);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>Drops every idle buffer (e.g. after a large one-off computation); the GC reclaims them later.</summary>
    public static void Trim() => Trim(0);

    /// <summary>Drops the longest-idle buffers until at most <paramref name="keepBytes"/> bytes are idle.</summary>
    public static void Trim(long keepBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepBytes);
        lock (Gate) DropOldest(keepBytes);
    }

    /// <summary>
    /// Gives idle memory back to the operating system: drops every idle buffer, then runs a full, blocking collection
    /// that compacts the large-object heap, so the pages those buffers held are released instead of lingering in
    /// the heap. Costs a full collection and refilling the pool (first touches of fresh pages) afterwards: call it
    /// between phases — after an epoch, an evaluation, a batch of one-off large buffers — not every step.
    /// </summary>
    public static void ReturnIdleMemory()
    {
        Trim(0);
        // A new phase: its own peak sets the idle limit from here on.
        Interlocked.Exchange(ref demandBytes, AllocatedBytes);
        Interlocked.Exchange(ref droppedSinceCollect, 0);
        CollectAggressively();
    }

    /// <summary>Parses a byte count: digits, optionally with a fraction and a K, M or G suffix (powers of 1,024; a
    /// trailing B or iB is allowed), e.g. <c>1073741824</c>, <c>512M</c>, <c>1.5GiB</c>. Null when it is none.</summary>
    public static long? ParseBytes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Trim().ToUpperInvariant();
        if (s.EndsWith("IB", StringComparison.Ordinal)) s = s[..^2];
        else if (s.EndsWith('B')) s = s[..^1];
        long unit = 1;
        if (s.Length > 0 && "KMG".IndexOf(s[^1]) is int at and >= 0)
        {
            unit = 1L << (10 * (at + 1));
            s = s[..^1];
        }
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)) return null;
        double bytes = value * unit;
        return bytes is >= 0 and < long.MaxValue ? (long)bytes : null;
    }

    static long? LimitFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(LimitVariable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var limit = ParseBytes(text);
        // A type initializer must not throw (every tensor would fail with a TypeInitializationException): say so, go on.
        if (limit is null)
            Console.Error.WriteLine($"warning: {LimitVariable}='{(text.Length > 40 ? text[..40] + "…" : text)}' is not a byte count " +
                                    "(e.g. 536870912, 512M or 1G); the storage pool keeps its default limit");
        return limit;
    }
}
