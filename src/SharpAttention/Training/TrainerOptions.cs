namespace SharpAttention.Training;

/// <summary>How <see cref="Trainer"/> runs. Every field has a working default; nothing here knows about models.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimizer steps even mid-epoch (null: no limit).</summary>
    public long? MaxSteps { get; init; }

    /// <summary>Micro-batches whose gradients are summed (each loss divided by this) before one optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Clip the global gradient norm to this before each step (null: no clipping; the norm is still reported).</summary>
    public double? ClipGradNorm { get; init; } = 1.0;

    /// <summary>Seeds <see cref="Tensors.Generator.Default"/> (dropout, initialisation drawn later) at the start of a fresh
    /// run; a resumed run restores the generator from the checkpoint instead.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>Raise <see cref="Trainer.StepCompleted"/> every this many steps (1 = every step).</summary>
    public int LogEvery { get; init; } = 1;

    /// <summary>Evaluate every this many epochs (when an evaluation function is given).</summary>
    public int EvaluateEvery { get; init; } = 1;

    /// <summary>Name of the evaluation metric that decides the best checkpoint and early stopping.</summary>
    public string BestMetric { get; init; } = "loss";

    /// <summary>True when a larger <see cref="BestMetric"/> is better (accuracy), false for losses and error rates.</summary>
    public bool GreaterIsBetter { get; init; }

    /// <summary>Stop when this many evaluations in a row did not improve the best metric (null: never).</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Folder for <c>last.safetensors</c> (every <see cref="CheckpointEvery"/> steps and at each epoch end; the one
    /// it replaces becomes <c>previous.safetensors</c>) and <c>best.safetensors</c>; null: no checkpoints. Every save is
    /// atomic, and temporary files of saves a kill interrupted are removed when a run starts.</summary>
    public string? CheckpointDir { get; init; }

    /// <summary>Steps between <c>last.safetensors</c> saves (null: only at epoch ends).</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>A checkpoint to resume from (bit-exact: same parameters as an uninterrupted run).</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>Resume from the newest checkpoint in <see cref="CheckpointDir"/> that loads: <c>last.safetensors</c>, else
    /// <c>previous.safetensors</c> (the one it replaced), else <c>best.safetensors</c>; <see cref="Trainer.Resumed"/> says
    /// which and why the others were refused. Use instead of <see cref="ResumeFrom"/>.</summary>
    public bool Resume { get; init; }

    /// <summary>Run each optimizer step (its micro-batches, backward and update) in a <see cref="Tensors.TensorScope"/>, so
    /// its activations and gradients return to the storage pool at once. A module that caches a tensor it made during
    /// a forward pass must call DetachFromScope on it; tensors the loss function returns are released.</summary>
    public bool ReleaseStepTensors { get; init; } = true;

    /// <summary>Keep an exponential moving average of the parameters with this decay (<see cref="Optim.ExponentialMovingAverage"/>,
    /// updated after every optimizer step; null: none). Evaluations then score the averaged weights (the trained
    /// weights' metrics are logged too, prefixed <c>raw_</c>), the best checkpoint holds the averaged weights, and
    /// <c>last.safetensors</c> carries the average so a resumed run continues it.</summary>
    public double? EmaDecay { get; init; }

    /// <summary>Per-step and per-evaluation records as JSON lines (<c>.jsonl</c>) or CSV (<c>.csv</c>); null: none. A resumed
    /// run first drops the rows after the step it resumed at (and any torn line), so the file holds one row per step.</summary>
    public string? MetricsFile { get; init; }
}
