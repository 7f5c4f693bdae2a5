using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Bench;

/// <summary>
/// `peak_fma`: the machine's fp32 FMA ceiling, so every other GFLOPS figure can be read as a fraction of it; and
/// `peak_fma_256`, the same loop with Vector256: the ceiling of the AVX2 paths (the `*_avx2` figures).
/// Each core runs a loop of independent register-only FMAs: 12 accumulator chains cover FMA latency × FMA
/// units on current x86 cores (4 cycles × 2 pipes), so the loop is throughput-bound, never latency-bound.
/// </summary>
internal static class PeakBench
{
    const int Chains = 12;

    public static void Run(RunPlan plan)
    {
        int threads = Environment.ProcessorCount;
        bool wide = Vector512.IsHardwareAccelerated;
        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        long iterations = plan.IsQuick ? 2_000_000 : 60_000_000;

        double seconds = Timing.BestSeconds(() => OnAllCores(threads, () => wide ? Fma512(iterations) : Fma256(iterations)), plan);
        Report.Figure("peak_fma", 2.0 * lanes * Chains * iterations * threads / seconds / 1e9, "GFLOPS");

        if (!Vector256.IsHardwareAccelerated)
        {
            Report.Unavailable("peak_fma_256");
            return;
        }
        seconds = Timing.BestSeconds(() => OnAllCores(threads, () => Fma256(iterations)), plan);
        Report.Figure("peak_fma_256", 2.0 * Vector256<float>.Count * Chains * iterations * threads / seconds / 1e9, "GFLOPS");
    }

    /// <summary>One thread per core, the caller being one of them; returns when all have finished.</summary>
    static void OnAllCores(int threads, Func<float> loop)
    {
        // Results go to the heap so the JIT cannot drop the loops as dead code.
        var sinks = new float[threads];
        var workers = new Thread[threads - 1];
        for (int t = 0; t < workers.Length; t++)
        {
            int slot = t + 1;
            workers[t] = new Thread(() => sinks[slot] = loop());
            workers[t].Start();
        }
        sinks[0] = loop();
        foreach (var w in workers) w.Join();
    }

    // The two widths repeat the same body because .NET has no public generic SIMD-vector interface to write it
    // once; acc·x + y with x < 1 converges to a normal number, so no overflow or denormal slows the loop.
    // AggressiveOptimization compiles the loop fully optimised at once (no tier-0 or OSR version is timed).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Fma512(long iterations)
    {
        var x = Vector512.Create(0.999f);
        var y = Vector512.Create(0.001f);
        Vector512<float> a0 = Vector512.Create(0.0f), a1 = Vector512.Create(0.1f), a2 = Vector512.Create(0.2f),
            a3 = Vector512.Create(0.3f), a4 = Vector512.Create(0.4f), a5 = Vector512.Create(0.5f),
            a6 = Vector512.Create(0.6f), a7 = Vector512.Create(0.7f), a8 = Vector512.Create(0.8f),
            a9 = Vector512.Create(0.9f), a10 = Vector512.Create(1.0f), a11 = Vector512.Create(1.1f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y);
            a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y);
            a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y);
            a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y);
            a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y);
            a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y);
            a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static float Fma256(long iterations)
    {
        var x = Vector256.Create(0.999f);
        var y = Vector256.Create(0.001f);
        Vector256<float> a0 = Vector256.Create(0.0f), a1 = Vector256.Create(0.1f), a2 = Vector256.Create(0.2f),
            a3 = Vector256.Create(0.3f), a4 = Vector256.Create(0.4f), a5 = Vector256.Create(0.5f),
            a6 = Vector256.Create(0.6f), a7 = Vector256.Create(0.7f), a8 = Vector256.Create(0.8f),
            a9 = Vector256.Create(0.9f), a10 = Vector256.Create(1.0f), a11 = Vector256.Create(1.1f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y);
            a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y);
            a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y);
            a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y);
            a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y);
            a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y);
            a11 = Vector256.FusedMultiplyAdd(a11, x, y);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
