namespace SharpAttention.Kernels.Losses;

/// <summary>
/// Runs a per-row loss kernel over [0, rows) as one contiguous block per core when the work pays for the threads.
/// Each row's result depends only on that row, so the output is bit-identical for any thread count.
/// </summary>
internal static class RowBlocks
{
    const long ParallelWork = 1L << 16;

    /// <param name="rows">number of independent rows</param>
    /// <param name="rowCost">elements touched per row (the class count for the softmax losses)</param>
    /// <param name="body">processes rows [lo, hi)</param>
    public static void For(int rows, int rowCost, Action<int, int> body)
    {
        int blocks = (long)rows * Math.Max(rowCost, 1) >= ParallelWork ? Math.Min(Environment.ProcessorCount, rows) : 1;
        if (blocks <= 1)
        {
            body(0, rows);
            return;
        }
        int caller = Environment.CurrentManagedThreadId;
        Parallel.For(0, blocks, b =>
        {
            body((int)((long)rows * b / blocks), (int)((long)rows * (b + 1) / blocks));
            if (Environment.CurrentManagedThreadId != caller) Tensors.Storage.RecentlyUsed.Forget();
        });
    }
}
