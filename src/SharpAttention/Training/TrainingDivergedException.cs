namespace SharpAttention.Training;

/// <summary>The loss stopped being a finite number (a learning rate too high for the model, or bad data): the run cannot
/// continue. An <see cref="InvalidOperationException"/> as before, typed so a host (the `attn` tool) can tell this
/// user-fixable failure from a bug.</summary>
public sealed class TrainingDivergedException(string message) : InvalidOperationException(message);
