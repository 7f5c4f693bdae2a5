namespace SharpAttention.Data.Datasets;

/// <summary>A public data set could not be fetched or found; the message says what to install or how to point at a
/// local copy.</summary>
public sealed class DatasetUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
