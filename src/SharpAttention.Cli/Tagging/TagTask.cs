using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Text;
using SharpAttention.Onnx;
using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Cli.Tagging;

/// <summary>
/// Sequence tagging on `attn`'s shared verbs: `train tag` (the user's CoNLL columns or JSON Lines, or --recipe
/// brown-pos), `eval tag` (accuracy, unseen-word accuracy, per-tag scores, most confused pairs, conlleval entity F1 for
/// BIO/BIOES; --json), `predict` (word/tag per word; --format conll|json) and `attend` (every layer's and head's
/// self-attention over a sentence). The library side is <see cref="SequenceTagger"/>; a model folder holds config.json,
/// model.safetensors, the tokenizer files, training_words.txt, recipe.json, results.json, metrics.jsonl and loss.png.
/// </summary>
public sealed class TagTask : CliTask
{
    public const string RecipeFile = "recipe.json", LossFile = "loss.png";

    /// <summary>Sentences tagged per forward batch group when reading stdin, so output streams on long inputs.</summary>
    const int PredictChunk = 256;

    readonly Option<string> format = Flags.Choice("--format", "tag: how tagged sentences are written (text: word/tag …; conll: word<TAB>tag lines; json: {\"tokens\", \"tags\"})",
        "text", "conll", "json");

    public override string Name => "tag";
    public override string Summary => "sequence tagging: a tag per word (part of speech, named entities) with a bidirectional encoder";
    public override IReadOnlyList<Option> PredictOptions => [format];

    /// <summary>A folder whose config.json names the TokenTagger architecture.</summary>
    public override bool Owns(string folder) => HasArchitecture(folder, "TokenTagger");

    static Option<int> TokenColumn() => new("--token-column") { Description = "CoNLL files: 0-based column of the word", DefaultValueFactory = _ => 0 };
    static Option<int> TagColumn() => new("--tag-column") { Description = "CoNLL files: 0-based column of the tag; negative counts from the end (-1: the last)", DefaultValueFactory = _ => -1 };

    static TagData.Sources Columns(ParseResult parsed, Option<int> token, Option<int> tag, string? data = null, string? valid = null, string? test = null, bool split = false)
    {
        int t = parsed.GetValue(token);
        if (t < 0) throw new UsageException($"--token-column must be 0 or more, got {t}");
        return new TagData.Sources(data, valid, test, t, parsed.GetValue(tag), split);
    }

    public override Command TrainCommand(CliContext context)
    {
        var flags = new TrainFlags(Name, "your tagged sentences: CoNLL columns (a word and its tag a line, a blank line between sentences) or JSON Lines " +
            "({\"tokens\": [...], \"tags\": [...]}); with --recipe brown-pos, a local copy of the Brown corpus", [.. TagRecipe.PresetNames], [.. TagRecipe.RecipeNames],
            () => TagRecipe.RangeOf("epochs"), () => TagRecipe.RangeOf("max_steps"));
        var tokenColumn = TokenColumn();
        var tagColumn = TagColumn();
        var valid = new Option<string?>("--valid") { Description = "validation sentences (same format as --data) instead of a share of --data" };
        var test = new Option<string?>("--test") { Description = "test sentences (same format as --data) instead of a share of --data" };
        var split = new Option<string?>("--split") { Description = "shares of --data by sentence: train/valid/test (80/10/10, the default) or train/test (80/20)" };
        var seed = Flags.Long("--seed", "seed of the split, the initialisation and the batch order (default 42)", () => Bounds.Integers(0, long.MaxValue));
        var command = new Command(Name, "train a sequence tagger on your data (or --recipe brown-pos) and report its test metrics")
            { tokenColumn, tagColumn, valid, test, split, seed };
        flags.AddTo(command);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(flags.Out)!;
            bool resuming = parsed.GetValue(flags.Resume);
            var recipe = flags.Choose(parsed, RecipeFile, TagRecipe.FromPreset, TagRecipe.FromJsonFile, TagRecipe.Quick);
            if (parsed.GetValue(split) is { } s) recipe = recipe with { Split = s };
            if (parsed.GetValue(seed) is long n) recipe = recipe with { Seed = (ulong)n };
            try
            {
                recipe.Validate();
            }
            catch (ConfigKeyException x) when (x.Keys.Contains("split") && parsed.GetValue(split) != null)
            {
                throw new UsageException($"--split: {x.Message}");
            }
            var sources = Columns(parsed, tokenColumn, tagColumn, parsed.GetValue(flags.Data), parsed.GetValue(valid), parsed.GetValue(test), parsed.GetValue(split) != null);
            return TagCommands.Train(context, recipe, sources, folder, resuming);
        }));
        return command;
    }

    public override Command EvalCommand(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train tag`", Required = true };
        var data = new Option<string?>("--data") { Description = "tagged sentences to score (CoNLL columns or JSON Lines); default: the recipe's test part" };
        var tokenColumn = TokenColumn();
        var tagColumn = TagColumn();
        var json = new Option<bool>("--json") { Description = "print the metrics as one JSON object (as in results.json) instead of tables" };
        var command = new Command(Name, "accuracy, unseen-word accuracy, per-tag precision/recall/F1, the most confused tags and, for BIO/BIOES, entity F1 of a tagger")
            { model, data, tokenColumn, tagColumn, json };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            RequireOwn(parsed.GetValue(model)!);
            return TagCommands.Eval(context, parsed.GetValue(model)!, parsed.GetValue(data), Columns(parsed, tokenColumn, tagColumn), parsed.GetValue(json));
        }));
        return command;
    }

    public override int Predict(CliContext context, ParseResult parsed, IReadOnlyList<string> models, string[]? inputs)
    {
        if (models.Count > 1) throw new UsageException("--model: a tagger predicts alone; give one --model");
        var sentences = Sentences(inputs, context.Input);
        var tagger = TagCommands.Load(models[0]);
        string how = parsed.GetValue(format)!;
        for (int at = 0; at < sentences.Length; at += PredictChunk)
        {
            var chunk = sentences.Skip(at).Take(PredictChunk).ToArray();
            var tags = tagger.Predict(chunk);
            for (int i = 0; i < chunk.Length; i++) Write(context.Output, how, chunk[i], tags[i]);
        }
        return 0;
    }

    static void Write(TextWriter output, string how, string[] words, string[] tags)
    {
        switch (how)
        {
            case "json":
                output.WriteLine(new JsonObject { ["tokens"] = new JsonArray([.. words.Select(w => (JsonNode)w)]), ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)t)]) }.ToJsonString());
                break;
            case "conll":
                for (int w = 0; w < words.Length; w++) output.WriteLine($"{words[w]}\t{tags[w]}");
                output.WriteLine();
                break;
            default:
                output.WriteLine(string.Join(' ', words.Select((w, i) => $"{w}/{tags[i]}")));
                break;
        }
    }

    /// <summary>Sentences from the arguments (each one sentence, words split on white space), else stdin: one per line,
    /// or JSON Lines with a "tokens" array of words.</summary>
    static string[][] Sentences(string[]? given, TextReader stdin)
    {
        var lines = InputText.Collect(given, stdin, "sentence");
        bool piped = given is not { Length: > 0 };
        return [.. lines.Select((line, i) => piped && line.StartsWith('{') ? JsonTokens(line, i + 1) : line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))];
    }

    static string[] JsonTokens(string line, int number)
    {
        try
        {
            var tokens = JsonNode.Parse(line)?["tokens"]?.AsArray() ?? throw new UsageException($"stdin:{number}: a JSON line needs a \"tokens\" array of words");
            var words = tokens.Select(t => t?.GetValue<string>() ?? "").ToArray();
            if (words.Length == 0 || words.Any(w => w.Trim().Length == 0 || w.Any(char.IsWhiteSpace)))
                throw new UsageException($"stdin:{number}: \"tokens\" must hold at least one word, each non-empty and without spaces");
            return words;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new UsageException($"stdin:{number}: not a JSON object with a \"tokens\" array of strings ({e.Message})");
        }
    }

    /// <summary>`attn export`: the model as one ONNX file, with config.json and the tokenizer files beside it.</summary>
    public override IReadOnlyList<string> Export(string folder, string output, OnnxExportOptions options) =>
        ExportOneGraph(folder, output, TaggerFolder.ConfigFile, path => TagCommands.Load(folder).Model.ExportOnnx(path, options));

    public override int Attend(CliContext context, ParseResult parsed, string folder, string input, string output)
    {
        var words = Sentences([input], context.Input)[0];
        OutputPaths.WritableFile("--out", output, ".html");
        var tagger = TagCommands.Load(folder);
        SharpAttention.Tasks.Tagging.TaggedAttention attention;
        string html;
        IReadOnlyList<Visualization.AttentionMap> maps;
        try
        {
            (html, attention, maps) = TagAttention.Render(tagger, words);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message, e);
        }
        IO.AtomicFile.WriteAllText(output, html);
        string png = Path.ChangeExtension(output, ".png");
        AttentionHeatmapPng.Save(png, maps, tagger.Model.Backbone.Config.NumHeads);
        context.Output.WriteLine(string.Join(' ', words.Select((w, i) => $"{w}/{attention.Tags[i]}")));
        context.Output.WriteLine($"wrote {output} and {png}");
        return 0;
    }
}
