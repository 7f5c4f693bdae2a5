using System.Diagnostics;

namespace SharpAttention.Bench;

/// <summary>Best-of-N wall-clock timing: the minimum is the run least disturbed by a shared, noisy machine.</summary>
internal static class Timing
{
    /// <summary>Seconds one call of <paramref name="op"/> takes in the best timed run of <paramref name="plan"/>.</summary>
    public static double BestSeconds(Action op, RunPlan plan)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        double last = double.PositiveInfinity;
        for (int i = 0; i < plan.Warmups || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < plan.MinWarmupSeconds; i++)
            last = Seconds(op, 1);

        int reps = last >= plan.MinRunSeconds ? 1 : (int)Math.Ceiling(plan.MinRunSeconds / Math.Max(last, 1e-7));
        double best = double.PositiveInfinity;
        for (int i = 0; i < plan.Runs; i++)
            best = Math.Min(best, Seconds(op, reps) / reps);
        return best;
    }

    static double Seconds(Action op, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int r = 0; r < reps; r++) op();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
