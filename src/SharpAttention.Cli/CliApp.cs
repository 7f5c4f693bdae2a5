using System.CommandLine;
using Spectre.Console;

namespace SharpAttention.Cli;

/// <summary>
/// The verbs of `attn` (System.CommandLine): train, eval, predict, attend. Output goes through a Spectre.Console
/// console over the given writer, so tests run the tool in-process. A <see cref="CliException"/> (a bad flag, a
/// missing file, no network) prints one line and exits 1; a parse error prints the usage problem and exits 1.
/// </summary>
public static class CliApp
{
    /// <summary>`--threads N` on every verb: how many cores the kernels use (default: all).</summary>
    internal static readonly Option<int?> Threads = new("--threads") { Description = "cores to use (default: all)", Recursive = true };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (VersionInfo.TryRun(args, output)) return 0;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Logs and pipes have no width; Spectre's 80-column default would wrap every progress line.
        if (output != Console.Out || Console.IsOutputRedirected) console.Profile.Width = 200;
        var context = new CliContext(console, output, error);
        var root = new RootCommand("attn — train, evaluate, run and look inside self-attention models (SharpAttention)")
        {
            Commands.DataCommand.Create(context),
            Commands.TrainCommand.Create(context),
            Commands.EvalCommand.Create(context),
            Commands.PredictCommand.Create(context),
            Commands.AttendCommand.Create(context),
        };
        root.Options.Add(Threads);
        var parsed = root.Parse(args);
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }
}

/// <summary>Where a verb writes, and the wrapper that turns user errors into one clear message.</summary>
public sealed class CliContext(IAnsiConsole console, TextWriter output, TextWriter error)
{
    public IAnsiConsole Console { get; } = console;
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>Runs a verb: applies --threads, maps <see cref="CliException"/> and argument errors to exit code 1.</summary>
    public int Guard(ParseResult parsed, Func<int> verb)
    {
        int previousThreads = SharpAttention.Threads.Count;
        try
        {
            if (parsed.GetValue(CliApp.Threads) is int threads)
            {
                if (threads < 1) throw new CliException($"--threads must be at least 1, got {threads}");
                SharpAttention.Threads.SetNumThreads(threads);
            }
            return verb();
        }
        catch (CliException e)
        {
            Error.WriteLine($"attn: error: {e.Message}");
            return 1;
        }
        finally
        {
            // In-process callers (tests, hosts) get their setting back.
            SharpAttention.Threads.SetNumThreads(previousThreads);
        }
    }
}
