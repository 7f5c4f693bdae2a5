namespace SharpAttention.Optim.Schedules;

/// <summary>
/// Base of the learning-rate schedules (torch.optim.lr_scheduler.LambdaLR's contract): every group's learning
/// rate is its initial rate times <see cref="Factor"/> of the step count. Construction applies step 0; call
/// <see cref="Step"/> after each optimizer step. The state is just <see cref="LastStep"/>, so resuming is
/// setting it back (or <see cref="LoadState"/>).
/// </summary>
public abstract class LRScheduler
{
    protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        Apply();
    }

    public Optimizer Optimizer { get; }

    /// <summary>Optimizer steps taken so far (torch's last_epoch when stepped once per batch).</summary>
    public long LastStep { get; private set; }

    /// <summary>Multiplier of the initial learning rate after <paramref name="step"/> optimizer steps.</summary>
    public abstract double Factor(long step);

    /// <summary>Advances one step and sets every group's learning rate.</summary>
    public void Step()
    {
        LastStep++;
        Apply();
    }

    /// <summary>The learning rate of each group now (torch's get_last_lr()).</summary>
    public double[] GetLastLr() => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Restores the step count of a saved schedule and sets the learning rates it implies.</summary>
    public void LoadState(long lastStep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastStep);
        LastStep = lastStep;
        Apply();
    }

    /// <summary>For derived schedules' field initializers: the value if it is positive, else a clear error.</summary>
    protected static double Positive(long value, string what) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"{what} must be positive, got {value}");

    void Apply()
    {
        double f = Factor(LastStep);
        if (!double.IsFinite(f) || f < 0)
            throw new InvalidOperationException($"{GetType().Name}: factor {f} at step {LastStep} is not a finite non-negative number");
        foreach (var g in Optimizer.ParamGroups) g.Lr = g.InitialLr * f;
    }
}

/// <summary>A schedule from any function of the step (torch.optim.lr_scheduler.LambdaLR).</summary>
public sealed class LambdaLR(Optimizer optimizer, Func<long, double> factor) : LRScheduler(optimizer)
{
    readonly Func<long, double> factor = factor ?? throw new ArgumentNullException(nameof(factor));

    public override double Factor(long step) => factor(step);
}

/// <summary>The learning rate stays at its initial value.</summary>
public sealed class ConstantLR(Optimizer optimizer) : LRScheduler(optimizer)
{
    public override double Factor(long step) => 1;
}
