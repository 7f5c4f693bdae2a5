namespace SharpAttention.Training;

/// <summary>One optimizer step: the mean loss of its micro-batches, the learning rate it used, the gradient norm
/// before clipping, and its throughput.</summary>
public sealed record StepEvent(long Step, int Epoch, double Loss, double LearningRate, double GradNorm, long Tokens,
                               double TokensPerSecond, TimeSpan Elapsed);

/// <summary>An evaluation after an epoch: the metrics the evaluation function returned and whether they are the best so far.</summary>
public sealed record EvaluationEvent(long Step, int Epoch, IReadOnlyDictionary<string, double> Metrics, bool IsBest, TimeSpan Elapsed);

/// <summary>Where a resumed run picked up: the checkpoint it loaded, its step, and each newer checkpoint it refused
/// ("last.safetensors: missing", or the file's name and the error).</summary>
public sealed record ResumeEvent(string Path, long Step, IReadOnlyList<string> Refused);

/// <summary>What a finished <c>Trainer.Fit</c> reports.</summary>
public sealed record TrainingResult(long Steps, int Epochs, double? BestMetric, string? BestCheckpoint, bool StoppedEarly,
                                    IReadOnlyList<double> Losses);

/// <summary>The loss of one micro-batch (a scalar tensor with a graph) and how many tokens or examples it covers
/// (for tokens/s; any positive count).</summary>
public readonly record struct BatchLoss(Tensors.Tensor Loss, long Tokens);
