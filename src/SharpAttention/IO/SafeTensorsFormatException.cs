namespace SharpAttention.IO;

/// <summary>A safetensors file (or buffer) breaks the format, or holds weights that cannot be used (not finite, a dtype
/// that does not fit): the message names the file (when known), the tensor (when one is at fault) and what is wrong.
/// A <see cref="FormatException"/>, so a caller that reports bad input catches it with the other format errors.</summary>
public sealed class SafeTensorsFormatException : FormatException
{
    /// <summary>The file being read, or null when parsing a stream or buffer.</summary>
    public string? FilePath { get; }

    /// <summary>The tensor at fault, or null when the problem is with the file as a whole.</summary>
    public string? TensorName { get; }

    public SafeTensorsFormatException(string message) : base(message) { }

    public SafeTensorsFormatException(string message, Exception inner) : base(message, inner) { }

    internal SafeTensorsFormatException(string? filePath, string? tensorName, string problem, Exception? inner = null)
        : base(Describe(filePath, tensorName, problem), inner)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    static string Describe(string? filePath, string? tensorName, string problem)
    {
        var where = filePath is null ? "safetensors" : $"safetensors file '{filePath}'";
        return tensorName is null ? $"{where}: {problem}" : $"{where}: tensor '{tensorName}': {problem}";
    }
}
