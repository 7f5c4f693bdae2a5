using System.Diagnostics;

namespace SharpAttention.Bench;

/// <summary>Best-of-N wall-clock timing: the minimum is the run least disturbed by a shared, noisy machine.</summary>
internal static class Timing
{
    /// <summary>Seconds one call of <paramref name="op"/> takes in the best timed run of <paramref name="plan"/>.</summary>
    public static double BestSeconds(Action op, RunPlan plan)
    {
        int reps = WarmUp(op, plan);
        double best = double.PositiveInfinity;
        for (int i = 0; i < plan.Runs; i++)
            best = Math.Min(best, Seconds(op, reps) / reps);
        return best;
    }

    /// <summary>
    /// <see cref="BestSeconds"/> of two operations whose timed runs alternate (a, b, a, b, …), so a figure and its
    /// anchor see the same stretch of a shared machine's load and their ratio holds even when the load moves.
    /// Each timed run starts after <see cref="Settle"/>: thread pools spin idle after a call (ONNX Runtime's for
    /// tens of ms of CPU by default, ours for 50 µs), and that tail must not eat into the other side's run.
    /// </summary>
    public static (double A, double B) BestSecondsInterleaved(Action a, Action b, RunPlan plan)
    {
        int repsA = WarmUp(a, plan);
        Thread.Sleep(Settle);
        int repsB = WarmUp(b, plan);
        double bestA = double.PositiveInfinity, bestB = double.PositiveInfinity;
        for (int i = 0; i < plan.Runs; i++)
        {
            Thread.Sleep(Settle);
            bestA = Math.Min(bestA, Seconds(a, repsA) / repsA);
            Thread.Sleep(Settle);
            bestB = Math.Min(bestB, Seconds(b, repsB) / repsB);
        }
        return (bestA, bestB);
    }

    /// <summary>Pause between alternating operations (see <see cref="BestSecondsInterleaved"/>).</summary>
    static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    /// <summary>Runs the plan's warm-ups; returns how many calls one timed run makes to last MinRunSeconds.</summary>
    static int WarmUp(Action op, RunPlan plan)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        double last = double.PositiveInfinity;
        for (int i = 0; i < plan.Warmups || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < plan.MinWarmupSeconds; i++)
            last = Seconds(op, 1);
        return last >= plan.MinRunSeconds ? 1 : (int)Math.Ceiling(plan.MinRunSeconds / Math.Max(last, 1e-7));
    }

    static double Seconds(Action op, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int r = 0; r < reps; r++) op();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
