using System.CommandLine;
using SharpAttention.Cli.Tasks;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn eval TASK --model DIR`: a trained model's scores on labelled data (the task's test part by default).</summary>
public static class EvalCommand
{
    public static Command Create(CliContext context, IReadOnlyList<CliTask> tasks)
    {
        var command = new Command("eval", $"score a trained model on labelled data, the test part by default (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
        foreach (var task in tasks) command.Subcommands.Add(task.EvalCommand(context));
        return command;
    }
}
