namespace SharpAttention.Optim.Schedules;

/// <summary>How the rate falls after warm-up.</summary>
public enum DecayShape
{
    /// <summary>Half a cosine from the peak down to the floor (Loshchilov &amp; Hutter's SGDR without restarts).</summary>
    Cosine,
    /// <summary>A straight line from the peak down to the floor.</summary>
    Linear,
}

/// <summary>
/// Linear warm-up from 0 to the initial rate over <c>warmupSteps</c>, then cosine or linear decay to
/// <c>minFactor</c> × the initial rate at <c>totalSteps</c>, held there afterwards (the BERT/GPT recipe; the same
/// factors as Hugging Face's get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup when minFactor = 0).
/// </summary>
public sealed class WarmupDecayLR(Optimizer optimizer, long warmupSteps, long totalSteps,
                                  DecayShape shape = DecayShape.Cosine, double minFactor = 0) : LRScheduler(optimizer)
{
    // Field initializers run before the base constructor, which already asks for the factor of step 0.
    readonly long warmup = warmupSteps >= 0 ? warmupSteps
        : throw new ArgumentOutOfRangeException(nameof(warmupSteps), $"warmup-decay: negative warm-up steps {warmupSteps}");
    readonly long total = totalSteps >= warmupSteps ? totalSteps
        : throw new ArgumentOutOfRangeException(nameof(totalSteps), $"warmup-decay: total steps {totalSteps} are fewer than the {warmupSteps} warm-up steps");
    readonly double minFactor = minFactor is >= 0 and <= 1 ? minFactor
        : throw new ArgumentOutOfRangeException(nameof(minFactor), $"warmup-decay: minFactor {minFactor} must lie in [0, 1]");
    readonly DecayShape shape = shape;

    public override double Factor(long step)
    {
        if (step < warmup) return (double)step / warmup;
        if (step >= total) return minFactor;
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        double fall = shape == DecayShape.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
        return minFactor + (1 - minFactor) * fall;
    }
}
