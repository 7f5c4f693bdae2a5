namespace SharpAttention.Kernels.Threading;

/// <summary>
/// How the kernels use <see cref="ParallelFor"/>. <see cref="For"/>: a flat range of elements cut into chunks of a
/// fixed size, the body called once per chunk, never on a range spanning two, so a chunk's result is computed by the
/// same call whatever the thread count: flat elementwise kernels are bit-identical for any <see cref="Threads.Count"/>,
/// and a reduction that combines per-chunk partials in chunk order is too. <see cref="Each"/>: independent items
/// (rows, chunks of rows). Both hand the work out dynamically (<see cref="ParallelFor.ForDynamic"/>) in several
/// grains per thread: on a shared machine a thread that is descheduled for a while does not hold up the whole
/// kernel, the others take its grains. Results cannot depend on who computes an item, so this changes no bits.
/// </summary>
internal static class ChunkedFor
{
    /// <summary>Elements per chunk for flat elementwise kernels: 64 KiB of float, a comfortable L2 share per call.</summary>
    public const int DefaultChunk = 16384;

    /// <summary>Number of chunks [0, length) splits into.</summary>
    public static int Count(int length, int chunk) => (int)(((long)length + chunk - 1) / chunk);

    /// <summary>Runs body.Run(start, end) for every chunk of [0, length), chunks shared over the team;
    /// costPerElement is the work per element in ≈ multiply-adds, to decide whether threads pay.</summary>
    public static void For<TBody>(int length, long costPerElement, TBody body, int chunk = DefaultChunk)
        where TBody : struct, IRangeBody, allows ref struct
    {
        if (length <= 0) return;
        if (length <= chunk)
        {
            body.Run(0, length);
            return;
        }
        Each(Count(length, chunk), costPerElement * chunk, new Chunks<TBody>(body, length, chunk));
    }

    /// <summary>Runs body over independent items [0, count) (each computed alone, its result independent of the
    /// others), in grains of about an eighth of a thread's share claimed by whichever thread is free.</summary>
    public static void Each<TBody>(int count, long costPerItem, TBody body) where TBody : struct, IRangeBody, allows ref struct
    {
        if (count <= 0) return;
        int grain = Math.Max(1, count / (8 * Threads.Count));
        ParallelFor.ForDynamic(count, grain, costPerItem, body);
    }

    ref struct Chunks<TBody>(TBody body, int length, int chunk) : IRangeBody where TBody : struct, IRangeBody, allows ref struct
    {
        TBody body = body;

        public void Run(int start, int end)
        {
            for (int c = start; c < end; c++)
            {
                int lo = c * chunk;
                body.Run(lo, (int)Math.Min((long)lo + chunk, length));
            }
        }
    }
}
