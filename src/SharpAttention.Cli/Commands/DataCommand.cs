using System.CommandLine;
using SharpAttention.Cli.G2p;
using SharpAttention.Tasks.G2p;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn data TASK`: fetches the task's data set into the cache if needed and prints how it splits.</summary>
public static class DataCommand
{
    public static Command Create(CliContext context)
    {
        var task = new Argument<string>("task") { Description = "the task whose data to fetch: g2p (cmudict)" };
        task.AcceptOnlyFromAmong("g2p");
        var data = new Option<string?>("--data") { Description = "check this dict.txt (or its folder) instead of the cached copy" };
        var command = new Command("data", "fetch a task's data set (once) and show its train/dev/test split") { task, data };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            var path = G2pCommands.Dictionary(parsed.GetValue(data), m => context.Output.WriteLine(m));
            var split = G2pData.LoadSplit(path, m => context.Output.WriteLine(m));
            int Prons(IReadOnlyList<Data.Datasets.PronunciationEntry> part) => part.Sum(e => e.Pronunciations.Count);
            context.Output.WriteLine($"{path}");
            context.Output.WriteLine($"train {split.Train.Count} words / {Prons(split.Train)} pronunciations");
            context.Output.WriteLine($"dev   {split.Dev.Count} words / {Prons(split.Dev)} pronunciations");
            context.Output.WriteLine($"test  {split.Test.Count} words / {Prons(split.Test)} pronunciations");
            return 0;
        }));
        return command;
    }
}
