namespace SharpAttention.Bench;

/// <summary>
/// How hard to measure. Full follows BENCHMARKS.md (best of ≥5 timed runs after ≥2 warm-ups); Quick is the
/// seconds-long smoke run CI uses to keep the benchmarks working, and its figures mean nothing.
/// </summary>
/// <param name="IsQuick">Smoke mode: groups also shrink their problem lists.</param>
/// <param name="Warmups">Untimed runs before timing, at least.</param>
/// <param name="Runs">Timed runs; the best one is reported.</param>
/// <param name="MinWarmupSeconds">Warm up at least this long so the JIT reaches its optimised tier even for
/// operations that take well under a millisecond. Two seconds: with tiered PGO a method passes through an instrumented
/// tier before the optimised one, and an operation that calls hundreds of methods (a decoding step) was still partly
/// instrumented after 0.5 s — greedy decode measured 1,570–1,720 tok/s (median of 5) right after ten warm-up runs and
/// 2,060–2,090 tok/s over the following hundred.</param>
/// <param name="MinRunSeconds">Repeat short operations inside one timed run until it lasts this long, so timer
/// resolution and scheduler jitter stay small against the run.</param>
internal sealed record RunPlan(bool IsQuick, int Warmups, int Runs, double MinWarmupSeconds, double MinRunSeconds)
{
    public static readonly RunPlan Full = new(IsQuick: false, Warmups: 2, Runs: 5, MinWarmupSeconds: 2.0, MinRunSeconds: 0.05);

    public static readonly RunPlan Quick = new(IsQuick: true, Warmups: 1, Runs: 2, MinWarmupSeconds: 0, MinRunSeconds: 0);
}
