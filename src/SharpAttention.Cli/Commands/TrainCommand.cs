using System.CommandLine;
using SharpAttention.Cli.Tasks;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn train TASK`: trains a model for a task and evaluates it on the task's test part; one subcommand per
/// task, each with the common flags (<see cref="TrainFlags"/>) and its own.</summary>
public static class TrainCommand
{
    public static Command Create(CliContext context, IReadOnlyList<CliTask> tasks)
    {
        var command = new Command("train", $"train a model and report its test scores (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
        foreach (var task in tasks) command.Subcommands.Add(task.TrainCommand(context));
        return command;
    }
}
