using System.CommandLine;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Onnx;
using SharpAttention.Tasks.G2p;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// Grapheme-to-phoneme on `attn`'s shared verbs: `train g2p` (cmudict, fetched on first use, or --data), `eval g2p`
/// (WER and PER on a part of the split), `predict` (n-best pronunciations, ensembles) and `attend` (cross-attention
/// maps), over the library's <see cref="G2pModel"/>, whose folder holds recipe.json, the tokenizer folders and model.safetensors.
/// </summary>
public sealed class G2pTask : CliTask
{
    readonly Option<int?> beam = Flags.Int("--beam", "g2p: beam width (default: the recipe's; 1 = greedy)", () => G2pRecipeKeys.RangeOf("beam_width"));
    readonly Option<int?> nBest = Flags.Int("--nbest", "g2p: pronunciations to print per word, at most the beam width (default 1)", () => G2pRecipeKeys.RangeOf("beam_width"));
    readonly Option<string> unknown = InputText.UnknownOption();
    readonly Option<string> attendUnknown = InputText.UnknownOption();

    public override string Name => "g2p";
    public override string Summary => "grapheme-to-phoneme on cmudict (or --data): an encoder-decoder Transformer";
    public override IReadOnlyList<Option> PredictOptions => [beam, nBest, unknown];
    public override IReadOnlyList<Option> AttendOptions => [attendUnknown];

    /// <summary>A folder with recipe.json and no config.json (a classifier's folder has both).</summary>
    public override bool Owns(string folder) =>
        File.Exists(Path.Combine(folder, G2pModel.RecipeFile)) && !File.Exists(Path.Combine(folder, "config.json"));

    public override Command TrainCommand(CliContext context)
    {
        var flags = new TrainFlags(Name, "cmudict dict.txt (or its folder) instead of fetching it with npm", [.. G2pRecipe.PresetNames], ["cmudict"],
            () => G2pRecipeKeys.RangeOf("epochs"), () => G2pRecipeKeys.RangeOf("max_steps"));
        var command = new Command(Name, "train grapheme-to-phoneme on cmudict (recipe cmudict: the default) and report test WER/PER");
        flags.AddTo(command);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(flags.Out)!;
            bool resuming = parsed.GetValue(flags.Resume);
            // A resumed run continues with the recipe it saved; --config, --epochs and --max-steps may still extend it.
            var savedRecipe = Path.Combine(folder, G2pModel.RecipeFile);
            if (resuming && !File.Exists(savedRecipe)) throw new CliException($"--resume: {folder} holds no {G2pModel.RecipeFile}; nothing to resume");
            var recipe = resuming ? G2pRecipeKeys.FromJsonFile(savedRecipe, G2pRecipe.SavedBase) : G2pRecipe.FromPreset(parsed.GetValue(flags.Preset)!);
            if (parsed.GetValue(flags.Config) is { } file) recipe = G2pRecipeKeys.FromJsonFile(file, recipe);
            if (parsed.GetValue(flags.Epochs) is int e) recipe = recipe with { Epochs = e };
            if (parsed.GetValue(flags.MaxSteps) is long m) recipe = recipe with { MaxSteps = m };
            G2pRecipeKeys.Validate(recipe);
            return G2pCommands.Train(context, recipe, folder, parsed.GetValue(flags.Data), resuming);
        }));
        return command;
    }

    public override Command EvalCommand(CliContext context)
    {
        var model = new Option<string[]>("--model")
        {
            Description = "folder written by `attn train g2p`; repeat it to decode several models as an ensemble (their probabilities averaged)",
            Required = true,
        };
        var data = new Option<string?>("--data") { Description = "cmudict dict.txt (or its folder) instead of the cached copy" };
        var evalBeam = Flags.Int("--beam", "beam width (default: the recipe's; 1 = greedy)", () => G2pRecipeKeys.RangeOf("beam_width"));
        var part = Flags.Choice("--part", "the part of the split to score", "test", "dev", "train");
        var command = new Command(Name, "WER and PER of a g2p model on one part of cmudict's split") { model, data, evalBeam, part };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            foreach (var folder in parsed.GetValue(model)!) RequireOwn(folder);
            return G2pCommands.Eval(context, parsed.GetValue(model)!, parsed.GetValue(data), parsed.GetValue(evalBeam), parsed.GetValue(part)!);
        }));
        return command;
    }

    public override int Predict(CliContext context, ParseResult parsed, IReadOnlyList<string> folders, string[]? inputs)
    {
        var input = InputText.Collect(inputs, context.Input, "word");
        var models = G2pCommands.LoadEnsemble(folders, context.Error);
        var g2p = models[0];
        int width = parsed.GetValue(beam) ?? g2p.Recipe.BeamWidth, n = parsed.GetValue(nBest) ?? 1;
        Check.Flag("--nbest", n, Bounds.Integers(1, width));   // at most the beam width, whichever gave it
        var list = G2pWords.Prepare(g2p, input, models.Min(m => m.Recipe.MaxLen), InputText.Policy(parsed.GetValue(unknown)!));
        G2pMemory.RequireDecoding(models, list, width);
        var results = G2pPredictor.Predict(models, list, width, n);
        for (int i = 0; i < list.Length; i++)
            foreach (var p in results[i].Take(n))
                context.Output.WriteLine($"{list[i].ToUpperInvariant()}\t{string.Join(' ', p.Phonemes)}\t{p.LogProb:F3}");
        return 0;
    }

    /// <summary>A folder with the encoder, decoder and decoder-with-past graphs (see <see cref="OnnxExport"/>) and, beside them,
    /// recipe.json and the letter and phoneme tokenizers.</summary>
    public override IReadOnlyList<string> Export(string folder, string output, OnnxExportOptions options)
    {
        if (output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"--out {Shown.Quote(output)}: a g2p model exports three graphs (encoder, decoder, decoder with past); name a folder");
        var g2p = G2pCommands.Load(folder);
        OutputPaths.WritableFolder("--out", output);
        var paths = new List<string>();
        Commands.ExportCommand.Export(() => paths.AddRange(g2p.Network.ExportOnnx(output, options) is var (encoder, decoder, withPast) ? [encoder, decoder, withPast] : []));
        return [.. paths, .. Commands.ExportCommand.CopyBeside(folder, output,
            [G2pModel.RecipeFile, G2pModel.SourceTokenizerFolder, G2pModel.TargetTokenizerFolder, G2pModel.GraphemesFile, G2pModel.PhonemesFile])];
    }

    public override int Attend(CliContext context, ParseResult parsed, string folder, string word, string png)
    {
        var given = InputText.Collect([word], context.Input, "word");
        OutputPaths.WritableFile("--out", png, ".png");
        var g2p = G2pCommands.Load(folder, context.Error);
        string text = G2pWords.Prepare(g2p, given, g2p.Recipe.MaxLen, InputText.Policy(parsed.GetValue(attendUnknown)!))[0];
        G2pMemory.RequireDecoding([g2p], [text], g2p.Recipe.BeamWidth);
        var (phonemes, maps) = g2p.Attention(text);
        AttentionHeatmapPng.Save(png, maps, columns: g2p.Recipe.NumHeads);
        var html = Path.ChangeExtension(png, ".html");
        File.WriteAllText(html, AttentionHtml.Render($"Cross-attention: {text.ToUpperInvariant()} → {string.Join(' ', phonemes)}", maps,
            "Rows: the phoneme being produced (then <eos>); columns: the letters read (then <eos>). One table per decoder layer and head, then their average."));
        context.Output.WriteLine($"{text.ToUpperInvariant()}\t{string.Join(' ', phonemes)}");
        context.Output.WriteLine($"wrote {png} and {html}");
        return 0;
    }
}
