using System.CommandLine;
using SharpAttention.Cli.Contract;

namespace SharpAttention.Cli.Tasks;

/// <summary>
/// The flags every `attn train TASK` takes: `--data` (the user's file or folder), `--preset tiny|quick|full`,
/// `--recipe NAME` (a published real-data recipe), `--config F.json`, `--out DIR`, `--resume`, `--epochs`,
/// `--max-steps` (`--threads` and `--verbose` belong to every verb). A task adds its own flags beside them.
/// </summary>
public sealed class TrainFlags
{
    public Option<string?> Data { get; }
    public Option<string> Preset { get; }
    public Option<string?> Recipe { get; }
    public Option<string?> Config { get; }
    public Option<string> Out { get; }
    public Option<bool> Resume { get; } = new("--resume") { Description = "continue the run in --out from its last checkpoint" };
    public Option<int?> Epochs { get; }
    public Option<long?> MaxSteps { get; }

    /// <param name="task">the task's name: the default output folder is runs/TASK</param>
    /// <param name="data">what --data takes, in words</param>
    /// <param name="presets">preset names, the default first</param>
    /// <param name="recipes">the task's published recipes</param>
    /// <param name="epochs">the range of the recipe's epochs</param>
    /// <param name="maxSteps">the range of the recipe's max_steps</param>
    public TrainFlags(string task, string data, string[] presets, string[] recipes, Func<Bounds> epochs, Func<Bounds> maxSteps)
    {
        Data = new Option<string?>("--data") { Description = data };
        Preset = Flags.Choice("--preset", "model size and schedule to start from (tiny trains in seconds)", presets);
        Recipe = new Option<string?>("--recipe") { Description = $"a published recipe on real data [{string.Join("|", recipes)}]" };
        Recipe.AcceptOnlyFromAmong(recipes);
        Config = new Option<string?>("--config") { Description = "JSON file overriding recipe properties (snake_case names, e.g. {\"epochs\": 40})" };
        Out = new Option<string>("--out") { Description = "output folder for the model, checkpoints, metrics and plots", DefaultValueFactory = _ => Path.Combine("runs", task) };
        Epochs = Flags.Int("--epochs", "override the recipe's epochs", epochs);
        MaxSteps = Flags.Long("--max-steps", "stop after this many optimizer steps", maxSteps);
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Data, Preset, Recipe, Config, Out, Resume, Epochs, MaxSteps }) command.Options.Add(option);
    }
}
