namespace SharpAttention.Kernels.Threading;

/// <summary>
/// <see cref="ParallelFor"/> over a flat range of elements cut into chunks of a fixed size. The body is called once
/// per chunk, never on a range spanning two, so a chunk's result is computed by the same call whatever the thread
/// count: flat elementwise kernels are bit-identical for any <see cref="Threads.Count"/>, and a reduction that
/// combines per-chunk partials in chunk order is too.
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
        ParallelFor.For(Count(length, chunk), costPerElement * chunk, new Chunks<TBody>(body, length, chunk));
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
