namespace SharpAttention.Optim.Schedules;

/// <summary>
/// The schedule of "Attention Is All You Need" (Vaswani et al. 2017, §5.3): lr = d_model^−0.5 ·
/// min(step^−0.5, step · warmup^−1.5), i.e. linear warm-up then inverse-square-root decay, peaking at step =
/// warmup. Steps count from 1 as in the paper (the rate at step 0 is that of step 1). The optimizer's initial
/// learning rate multiplies it (1 gives the paper's rates; the Annotated Transformer calls it "factor").
/// </summary>
public sealed class NoamLR(Optimizer optimizer, int dModel, int warmupSteps) : LRScheduler(optimizer)
{
    // Field initializers run before the base constructor, which already asks for the factor of step 0.
    readonly double dModel = LRScheduler.Positive(dModel, "noam: d_model");
    readonly double warmup = LRScheduler.Positive(warmupSteps, "noam: warm-up steps");

    public override double Factor(long step)
    {
        double s = Math.Max(step, 1);
        return Math.Pow(dModel, -0.5) * Math.Min(Math.Pow(s, -0.5), s * Math.Pow(warmup, -1.5));
    }
}

/// <summary>Inverse-square-root decay after a linear warm-up, normalised to peak at the initial learning rate:
/// factor = (step + 1)/warmup during warm-up, then sqrt(warmup/step) (fairseq's inverse_sqrt).</summary>
public sealed class InverseSqrtLR(Optimizer optimizer, int warmupSteps) : LRScheduler(optimizer)
{
    readonly double warmup = LRScheduler.Positive(warmupSteps, "inverse-sqrt: warm-up steps");

    public override double Factor(long step) =>
        step < warmup ? (step + 1) / warmup : Math.Sqrt(warmup / Math.Max(step, 1));
}
