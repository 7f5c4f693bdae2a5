using System.CommandLine;
using SharpAttention.Cli.Commands;
using SharpAttention.Cli.Contract;
using Spectre.Console;

namespace SharpAttention.Cli;

/// <summary>
/// The verbs of `attn` (System.CommandLine): data, train, eval, predict, attend — `train TASK` and `eval TASK` for each
/// task of <see cref="Tasks.TaskCatalog"/>, `predict` and `attend` for a model folder of any task. Output goes through a Spectre.Console
/// console over the given writer, so tests run the tool in-process. The error contract (README, "Errors"): every
/// failure is one line `attn: error: …` on stderr; exit code 2 for a malformed command line (no help dump, a pointer
/// to --help instead), 1 for everything else; a stack trace only with --verbose.
/// </summary>
public static class CliApp
{
    /// <summary>`--threads N` on every verb: how many cores the kernels use (default: all). More threads than cores
    /// only slows the kernels down, so the range stops at four per core (and the thread team's 256).</summary>
    internal static readonly Option<int?> Threads = Recursive(Flags.Int("--threads", "cores to use (default: all)", () => ThreadRange));

    internal static Bounds ThreadRange => Bounds.Integers(1, Math.Min(256, 4 * Math.Max(1, Environment.ProcessorCount)));

    /// <summary>`--verbose` on every verb: the stack trace below an error line.</summary>
    internal static readonly Option<bool> Verbose = new("--verbose") { Description = "print the stack trace of an error", Recursive = true };

    /// <summary>`--pool-limit SIZE` on every verb: the most idle tensor memory kept for reuse (see <see cref="PoolLimit"/>).</summary>
    internal static readonly Option<string?> PoolLimitOption = PoolLimit.Create();

    static Option<int?> Recursive(Option<int?> option)
    {
        option.Recursive = true;
        return option;
    }

    /// <summary>Runs `attn` with <paramref name="args"/>; <paramref name="input"/> is stdin (default: the console's).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error, TextReader? input = null)
    {
        if (VersionInfo.TryRun(args, output)) return 0;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Logs and pipes have no width; Spectre's 80-column default would wrap every progress line.
        if (output != Console.Out || Console.IsOutputRedirected) console.Profile.Width = 200;
        var context = new CliContext(console, output, error, input ?? Console.In);
        var tasks = Tasks.TaskCatalog.Create();
        var root = new RootCommand("attn — train, evaluate, run and look inside self-attention models (SharpAttention)")
        {
            Commands.DataCommand.Create(context),
            Commands.TrainCommand.Create(context, tasks),
            Commands.EvalCommand.Create(context, tasks),
            Commands.PredictCommand.Create(context, tasks),
            Commands.AttendCommand.Create(context, tasks),
            LanguageModeling.GenerateCommand.Create(context),
            Commands.TokenizerCommand.Create(context),
            Commands.ExportCommand.Create(context, tasks),
        };
        root.Options.Add(Threads);
        root.Options.Add(Verbose);
        root.Options.Add(PoolLimitOption);
        var parsed = root.Parse(args);
        if (UsageErrors.Find(parsed) is { } problem)
        {
            error.WriteLine($"attn: error: {Shown.Line(problem)} (see `{UsageErrors.CommandPath(parsed)} --help`)");
            return 2;
        }
        try
        {
            // The default handler prints a stack trace; the verbs' Guard reports instead, and this catch takes the rest.
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return ErrorReport.Write(error, e, parsed.GetValue(Verbose));
        }
    }
}

/// <summary>Where a verb writes, and the wrapper that turns its failures into one clear line.</summary>
public sealed class CliContext(IAnsiConsole console, TextWriter output, TextWriter error, TextReader input)
{
    public TextReader Input { get; } = input;
    public IAnsiConsole Console { get; } = console;
    public TextWriter Output { get; } = output;
    public TextWriter Error { get; } = error;

    /// <summary>Runs a verb: applies --threads and --pool-limit, reports any exception as one line (<see cref="ErrorReport"/>).</summary>
    public int Guard(ParseResult parsed, Func<int> verb)
    {
        int previousThreads = SharpAttention.Threads.Count;
        long previousPoolLimit = SharpAttention.Tensors.StoragePool.MaxPooledBytes;
        try
        {
            if (parsed.GetValue(CliApp.Threads) is int threads) SharpAttention.Threads.SetNumThreads(threads);
            PoolLimit.Apply(parsed.GetValue(CliApp.PoolLimitOption));
            return verb();
        }
        catch (Exception e)
        {
            return ErrorReport.Write(Error, e, parsed.GetValue(CliApp.Verbose));
        }
        finally
        {
            // In-process callers (tests, hosts) get their settings back.
            SharpAttention.Threads.SetNumThreads(previousThreads);
            SharpAttention.Tensors.StoragePool.MaxPooledBytes = previousPoolLimit;
        }
    }
}
