using SharpAttention.Kernels.Simd;

namespace SharpAttention.Tests.Support;

/// <summary>The one collection for tests that change process-wide settings — the SIMD width (<see cref="SimdWidth.Max"/>,
/// which attention and GEMM follow too), <see cref="Threads.Count"/> (directly or through the CLI's --threads), the
/// default generator's seed (<see cref="Generator.ManualSeed"/>) — or that measure process-wide state (allocations, the
/// storage pool): xunit runs it alone, after the parallel collections, one test at a time, so no parallel test sees
/// another test's setting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalKernelStateCollection
{
    public const string Name = "global kernel state";
}

/// <summary>Runs a test body on every SIMD path and thread count the machine can execute.</summary>
internal static class KernelPaths
{
    /// <summary>Every width this machine runs, widest first: 512, 256, 128 and 0 (scalar) on AVX-512 hardware.</summary>
    public static int[] Widths => SimdWidth.Supported;

    /// <summary>Runs <paramref name="body"/> once per supported width with the drivers forced to it.</summary>
    public static void ForEachWidth(Action<int> body)
    {
        foreach (int width in Widths)
            using (SimdWidth.Force(width))
                body(width);
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Threads.Count"/> set to <paramref name="threads"/>.</summary>
    public static T WithThreads<T>(int threads, Func<T> body)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try { return body(); }
        finally { Threads.Count = saved; }
    }
}
