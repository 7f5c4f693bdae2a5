using System.Reflection;
using System.Text.Json;
using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Training;

namespace SharpAttention.Cli.Contract;

/// <summary>What the user reads when a verb fails: its one line and exit code.</summary>
/// <param name="Expected">false for a failure no input should cause (a bug): the line asks for --verbose.</param>
public sealed record ErrorLine(string Message, int ExitCode, bool Expected);

/// <summary>
/// The one error path of `attn`: every exception a verb lets out becomes one line. The library's own exceptions for
/// bad files and bad numbers (format, data, state dict, I/O, a diverging loss, memory) are the user's to fix and read
/// as they are; anything else is unexpected and says how to see the details.
/// </summary>
public static class ErrorReport
{
    public static ErrorLine Describe(Exception e)
    {
        e = Unwrap(e);
        return e switch
        {
            CliException c => new(c.Message, c.ExitCode, true),
            TrainingDivergedException => new(e.Message, 1, true),
            OutOfMemoryException => new("out of memory: lower --beam, batch_size, d_model, dim_feedforward or the layers", 1, true),
            SafeTensorsFormatException or StateDictException or FormatException or InvalidDataException or JsonException
                or Data.Datasets.DataUnavailableException => new(e.Message, 1, true),
            UnauthorizedAccessException => new($"permission denied: {e.Message}", 1, true),
            IOException => new(e.Message, 1, true),
            _ => new($"{e.Message} (unexpected {e.GetType().Name})", 1, false),
        };
    }

    /// <summary>The exception that matters inside the wrappers of reflection and parallel loops.</summary>
    static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case TargetInvocationException { InnerException: { } inner }:
                    e = inner;
                    break;
                case AggregateException aggregate when aggregate.Flatten().InnerExceptions is [var only]:
                    e = only;
                    break;
                default:
                    return e;
            }
        }
    }

    /// <summary>Writes the report of <paramref name="e"/> to <paramref name="error"/>: one line, the stack trace below
    /// it only when <paramref name="verbose"/>.</summary>
    public static int Write(TextWriter error, Exception e, bool verbose)
    {
        var line = Describe(e);
        string hint = line.Expected || verbose ? "" : "; run with --verbose for details";
        error.WriteLine($"attn: error: {Shown.Line(line.Message)}{hint}");
        if (verbose) error.WriteLine(e.ToString());
        return line.ExitCode;
    }
}
