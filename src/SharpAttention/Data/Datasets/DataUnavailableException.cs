namespace SharpAttention.Data.Datasets;

/// <summary>A public data set could not be fetched or found (no npm, no network, a package that changed its layout, a
/// folder that is not the corpus); the message says what to install or how to point at a local copy.</summary>
public sealed class DataUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
