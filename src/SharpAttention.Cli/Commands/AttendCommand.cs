using System.CommandLine;
using SharpAttention.Cli.Tasks;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn attend --model DIR INPUT --out FILE`: what a trained model attends to on one input; the task comes from
/// the model folder. g2p: each decoder layer's cross-attention heads (PNG + HTML); classify: the text shaded by the
/// pooling attention, with every layer's and head's self-attention (HTML).</summary>
public static class AttendCommand
{
    public static Command Create(CliContext context, IReadOnlyList<CliTask> tasks)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train`", Required = true };
        var output = new Option<string>("--out") { Description = "file to write: g2p a .png (and an .html page beside it), classify and lm an .html page", Required = true };
        var input = new Argument<string>("input") { Description = "the word (g2p) or text (classify, lm) to inspect (after '--' if it starts with '-')" };
        var command = new Command("attend", "show where a trained model's attention goes on one input (g2p: PNG + HTML; classify, lm: HTML)") { model, output, input };
        foreach (var option in tasks.SelectMany(t => t.AttendOptions)) command.Options.Add(option);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(model)!;
            var task = TaskCatalog.ForModel(tasks, folder);
            PredictCommand.RefuseOthers(parsed, task, tasks, t => t.AttendOptions);
            return task.Attend(context, parsed, folder, parsed.GetValue(input)!, parsed.GetValue(output)!);
        }));
        return command;
    }
}
