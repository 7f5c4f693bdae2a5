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

    /// <summary>The recipe the common flags choose: the run's saved recipe.json with --resume, else --recipe or
    /// --preset; then --config's keys, --epochs and --max-steps over it. The task applies its own flags after.</summary>
    /// <param name="parsed">the command line</param>
    /// <param name="recipeFile">the recipe's file name in the run folder</param>
    /// <param name="fromPreset">a preset or published recipe by name</param>
    /// <param name="fromJson">a JSON file's keys over a recipe, validated</param>
    /// <param name="fallback">what a saved recipe's missing keys default to</param>
    public T Choose<T>(ParseResult parsed, string recipeFile, Func<string, T> fromPreset, Func<string, T, T> fromJson, T fallback) where T : ITaskRecipe<T>
    {
        string folder = parsed.GetValue(Out)!;
        bool resuming = parsed.GetValue(Resume);
        var saved = Path.Combine(folder, recipeFile);
        if (resuming && !File.Exists(saved)) throw new CliException($"--resume: {folder} holds no {recipeFile}; nothing to resume");
        var recipe = resuming ? fromJson(saved, fallback)
            : parsed.GetValue(Recipe) is { } name ? fromPreset(name) : fromPreset(parsed.GetValue(Preset)!);
        if (!resuming && parsed.GetValue(Recipe) != null && parsed.GetResult(Preset) is { Implicit: false })
            throw new UsageException("--preset and --recipe both choose the model: give one (a recipe's settings can be changed with --config)");
        if (parsed.GetValue(Config) is { } file) recipe = fromJson(file, recipe);
        return recipe.WithSchedule(parsed.GetValue(Epochs) ?? recipe.Epochs, parsed.GetValue(MaxSteps) ?? recipe.MaxSteps);
    }

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Data, Preset, Recipe, Config, Out, Resume, Epochs, MaxSteps }) command.Options.Add(option);
    }
}
