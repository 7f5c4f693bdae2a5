using System.Diagnostics;
using SharpAttention.Tensors;

namespace SharpAttention.Bench;

/// <summary>
/// `train`: a forward + backward + AdamW step of <see cref="StackModel"/> (the stand-in for the reference model until
/// the training issue's train_step exists). Prints the step's speed and the managed bytes one step allocates after
/// warm-up — with a <see cref="TensorScope"/> around each step (the figure issue 3 bounds at 1 MB) and, for
/// comparison, without one (storage then returns to the pool only from finalizers).
/// </summary>
internal static class TrainBench
{
    public static void Run(RunPlan plan)
    {
        var model = new StackModel(StackModel.Bench, seed: 1);
        var data = new Generator(2);
        var batch = model.Batch(data);
        int warmups = Math.Max(2, plan.Warmups), runs = Math.Max(plan.IsQuick ? 2 : 5, plan.Runs);

        for (int i = 0; i < warmups; i++) ScopedStep(model, batch);
        double best = double.PositiveInfinity;
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            ScopedStep(model, batch);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double scoped = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / runs;
        Report.Figure("stack_step", model.TokensPerStep / best, "tok/s");
        Report.Figure("stack_step_alloc", scoped, "B", decimals: 0);

        for (int i = 0; i < warmups; i++) model.Step(batch.Ids, batch.Targets);
        before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < runs; i++) model.Step(batch.Ids, batch.Targets);
        Report.Figure("stack_step_alloc_unscoped", (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / runs, "B", decimals: 0);
    }

    static void ScopedStep(StackModel model, (Tensor Ids, Tensor Targets) batch)
    {
        using var scope = TensorScope.Begin();
        model.Step(batch.Ids, batch.Targets);
    }
}
