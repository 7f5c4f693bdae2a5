using System.Runtime.CompilerServices;

namespace SharpAttention.Kernels.Threading;

/// <summary>
/// The body of a parallel loop: processes items [start, end). A struct (a ref struct may hold spans), passed by
/// value, so a loop allocates nothing: the copy stays on the caller's stack while the team runs it (the caller
/// blocks until every share is done).
/// </summary>
internal interface IRangeBody
{
    void Run(int start, int end);
}

/// <summary>
/// The one parallel-for every kernel uses (OpenMP's `parallel for schedule(static)` in spirit). Items [0, count)
/// are split into <see cref="Threads.Count"/> contiguous shares (the caller nearly always runs share 0, a spinning
/// worker the next; a sleeping worker's share may be taken by the caller), so a kernel whose item results do not
/// depend on their neighbours is bit-identical for a given thread count.
/// <see cref="ForDynamic"/> hands out chunks on demand for uneven items (causal attention rows) — also
/// deterministic as long as each item is computed alone. Calls made from inside a loop body, from a second user
/// thread while the team is busy, or too small to pay for the wake-up run inline on the caller.
/// </summary>
internal static unsafe class ParallelFor
{
    /// <summary>Below this many units of work (≈ multiply-adds) the wake-up latency costs more than it saves.</summary>
    public const long MinParallelWork = 1L << 15;

    /// <summary>Runs body over [0, count) in one contiguous share per thread when count·costPerItem is large enough.</summary>
    public static void For<TBody>(int count, long costPerItem, TBody body) where TBody : struct, IRangeBody, allows ref struct
    {
        if (count <= 0) return;
        int shares = SharesFor(count, costPerItem);
        if (shares <= 1)
        {
            body.Run(0, count);
            return;
        }
        ThreadTeam.Run(&RunStatic<TBody>, Unsafe.AsPointer(ref body), count, shares, 0);
    }

    /// <summary>Runs body over [0, count) in chunks of <paramref name="grain"/> items taken by whichever thread is
    /// free next; use when items cost very different amounts.</summary>
    public static void ForDynamic<TBody>(int count, int grain, long costPerItem, TBody body) where TBody : struct, IRangeBody, allows ref struct
    {
        if (count <= 0) return;
        grain = Math.Max(1, grain);
        int shares = SharesFor((count + grain - 1) / grain, costPerItem * grain);
        if (shares <= 1)
        {
            body.Run(0, count);
            return;
        }
        ThreadTeam.Run(&RunStatic<TBody>, Unsafe.AsPointer(ref body), count, shares, grain);
    }

    /// <summary>How many threads a loop of this size gets (1 = inline).</summary>
    public static int SharesFor(int count, long costPerItem)
    {
        int threads = Threads.Count;
        if (threads <= 1 || count <= 1) return 1;
        long work = count * Math.Max(1, costPerItem);
        if (work < MinParallelWork) return 1;
        return Math.Min(threads, count);
    }

    static void RunStatic<TBody>(void* body, int start, int end) where TBody : struct, IRangeBody, allows ref struct =>
        Unsafe.AsRef<TBody>(body).Run(start, end);
}
