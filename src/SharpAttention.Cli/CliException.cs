namespace SharpAttention.Cli;

/// <summary>A problem the user can fix (a bad flag, a missing file, no network): printed as one clear message without
/// a stack trace, and the tool exits with code 1.</summary>
public sealed class CliException(string message, Exception? inner = null) : Exception(message, inner);
