using SharpAttention.Kernels.Threading;

namespace SharpAttention;

/// <summary>
/// How many threads SharpAttention's kernels use (PyTorch's <c>torch.set_num_threads</c> /
/// <c>torch.get_num_threads</c>). Defaults to every core (<see cref="Environment.ProcessorCount"/>) or the
/// <c>SHARPATTENTION_NUM_THREADS</c> environment variable. Results are bit-identical for a given count.
/// </summary>
public static class Threads
{
    static int count = Initial();

    /// <summary>Threads a kernel may use, the caller included; at least 1.</summary>
    public static int Count
    {
        get => count;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "Threads.Count: need at least 1 thread");
            if (value > ThreadTeam.MaxThreads)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Threads.Count: at most {ThreadTeam.MaxThreads} threads");
            count = value;
        }
    }

    /// <summary>Sets <see cref="Count"/> (torch.set_num_threads).</summary>
    public static void SetNumThreads(int threads) => Count = threads;

    /// <summary>Returns <see cref="Count"/> (torch.get_num_threads).</summary>
    public static int GetNumThreads() => Count;

    static int Initial()
    {
        var env = Environment.GetEnvironmentVariable("SHARPATTENTION_NUM_THREADS");
        if (env != null && int.TryParse(env, out int n) && n >= 1) return Math.Min(n, ThreadTeam.MaxThreads);
        return Math.Max(1, Environment.ProcessorCount);
    }
}
