using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn predict --model DIR INPUT…`: runs a trained model of any task on the inputs (lines of stdin when none
/// are given); the task comes from the model folder. g2p: the n best pronunciations of each word, by one model or an
/// ensemble; classify: each text's label and class probabilities.</summary>
public static class PredictCommand
{
    public static Command Create(CliContext context, IReadOnlyList<CliTask> tasks)
    {
        var model = new Option<string[]>("--model")
        {
            Description = "folder written by `attn train`; g2p: repeat it to decode several models as an ensemble (their probabilities averaged)",
            Required = true,
        };
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "words (g2p) or texts (classify) to run the model on (default: read lines from stdin); one starting with '-' goes after '--'",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("predict", "run a trained model: pronounce words (g2p), label texts (classify)") { model, inputs };
        foreach (var option in tasks.SelectMany(t => t.PredictOptions)) command.Options.Add(option);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var folders = parsed.GetValue(model)!;
            var task = TaskCatalog.ForModel(tasks, folders[0]);
            RefuseOthers(parsed, task, tasks, t => t.PredictOptions);
            return task.Predict(context, parsed, folders, parsed.GetValue(inputs));
        }));
        return command;
    }

    /// <summary>A flag of another task's (`--beam` with a classifier) is a usage error, not silently ignored.</summary>
    internal static void RefuseOthers(ParseResult parsed, CliTask task, IReadOnlyList<CliTask> tasks, Func<CliTask, IReadOnlyList<Option>> options)
    {
        foreach (var other in tasks.Where(t => t != task))
            foreach (var option in options(other))
                if (parsed.GetResult(option) is { Implicit: false })
                    throw new UsageException($"{option.Name} applies to {other.Name} models; this is a {task.Name} model");
    }
}
