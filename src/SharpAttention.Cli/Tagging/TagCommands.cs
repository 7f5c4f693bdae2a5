using System.Diagnostics;
using System.Text.Json;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Tasks.Tagging;
using Spectre.Console;

namespace SharpAttention.Cli.Tagging;

/// <summary>What the tag verbs do, between parsing (<see cref="TagTask"/>) and the library's <see cref="SequenceTagger"/>:
/// data, memory check, training with progress, the metrics tables.</summary>
public static class TagCommands
{
    /// <summary>Rows of the per-tag table on the console (the tags with most gold occurrences); --json has them all.</summary>
    const int TagRows = 15, ConfusedRows = 10;

    public static int Train(CliContext context, TagRecipe recipe, TagData.Sources sources, string folder, bool resume)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        void Note(string m) => console.MarkupLineInterpolated($"[grey]{m}[/]");
        OutputPaths.WritableFolder("--out", folder);
        Tasks.RunFolder.Check(recipe, folder, Path.Combine(folder, SequenceTagger.CheckpointFolder, "last.safetensors"), resume, () => ReadRecipe(folder)!);
        var data = TagData.Load(recipe, sources, Note);
        TaggingData.Check(data);
        RequireMemory(recipe);
        console.MarkupLineInterpolated($"[bold]attn train tag[/] — {recipe.Preset}, {SharpAttention.Threads.Count} threads, output {folder}");
        Note($"{data.Train.Count:N0} train / {data.Valid.Count:N0} valid / {data.Test.Count:N0} test sentences");
        if (!resume) IO.AtomicFile.WriteAllText(Path.Combine(folder, TagTask.RecipeFile), recipe.ToJson());
        var reporter = new ConsoleReporter(console, "validation part");
        var tagger = SequenceTagger.Train(recipe.Options(data, folder) with
        {
            Resume = resume, CheckpointEvery = 200, Log = Note, StepCompleted = reporter.Step, Evaluated = reporter.Evaluated,
        });
        console.MarkupLineInterpolated($"trained {tagger.Training!.Steps:N0} steps in {ConsoleReporter.Format(clock.Elapsed)}");
        foreach (var (part, metrics) in tagger.Scores) Show(context, metrics, part, recipe.Recipe);
        LossCurve.Save(Path.Combine(folder, SequenceTagger.MetricsFile), Path.Combine(folder, TagTask.LossFile), "valid_accuracy");
        console.MarkupLineInterpolated($"model, tokenizer, recipe, checkpoints, results.json, metrics.jsonl and loss.png are in {folder}; total {ConsoleReporter.Format(clock.Elapsed)}");
        return 0;
    }

    public static int Eval(CliContext context, string folder, string? dataPath, TagData.Sources columns, bool json)
    {
        var tagger = Load(folder);
        var recipe = ReadRecipe(folder);
        IReadOnlyList<TaggedSequence> sentences;
        string part;
        if (dataPath != null)
        {
            sentences = TagData.Read("--data", dataPath, columns);
            part = Path.GetFileName(dataPath);
        }
        else
        {
            if (recipe?.Recipe is null) throw new UsageException("--data is required: the model was trained on your own data, whose test part only you have");
            sentences = TagData.Load(recipe, columns with { Data = null }, _ => { }).Test;
            part = $"{recipe.Recipe} test";
        }
        var metrics = tagger.Evaluate(sentences, TaggerFolder.ReadTrainingWords(folder));
        if (json) context.Output.WriteLine(metrics.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else Show(context, metrics, part, recipe?.Recipe);
        return 0;
    }

    /// <summary>Accuracy and unseen-word accuracy, span F1 for BIO/BIOES, the published anchors beside a recipe's test
    /// scores, per-tag precision/recall/F1 of the most frequent tags, and the most confused pairs.</summary>
    static void Show(CliContext context, TaggingMetrics m, string part, string? recipe)
    {
        var console = context.Console;
        string unseen = double.IsNaN(m.UnseenAccuracy) ? "" : $", unseen words {m.UnseenAccuracy * 100:F2}% of {m.UnseenCount:N0}";
        console.MarkupLineInterpolated($"[bold]{part}[/]: {m.Count:N0} words in {m.Sentences:N0} sentences — accuracy [bold]{m.Accuracy * 100:F2}%[/]{unseen}");
        if (m.Scheme != TagScheme.None)
            console.MarkupLineInterpolated($"  entities ({m.Scheme.ToString().ToUpperInvariant()}, conlleval): precision {m.SpanPrecision():F4}, recall {m.SpanRecall():F4}, [bold]F1 {m.SpanF1():F4}[/]");
        if (part.EndsWith(" test", StringComparison.Ordinal))
            foreach (var line in Anchors(recipe)) console.MarkupLineInterpolated($"  [grey]{line}[/]");
        var tags = new Table().AddColumn("tag").AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("recall").RightAligned())
            .AddColumn(new TableColumn("F1").RightAligned()).AddColumn(new TableColumn("support").RightAligned());
        var frequent = m.Tags.OrderByDescending(m.Support).ThenBy(t => t, StringComparer.Ordinal).Take(TagRows).ToArray();
        foreach (var tag in frequent)
            tags.AddRow(Markup.Escape(tag), $"{m.Precision(tag):F4}", $"{m.Recall(tag):F4}", $"{m.F1(tag):F4}", $"{m.Support(tag):N0}");
        if (m.Tags.Count > frequent.Length) tags.Caption($"the {frequent.Length} most frequent of {m.Tags.Count} tags; --json lists all");
        console.Write(tags);
        var confused = m.MostConfused(ConfusedRows);
        if (confused.Count == 0) return;
        var pairs = new Table().AddColumn("gold").AddColumn("predicted").AddColumn(new TableColumn("count").RightAligned()).Title("most confused");
        foreach (var (gold, predicted, count) in confused) pairs.AddRow(Markup.Escape(gold), Markup.Escape(predicted), $"{count:N0}");
        console.Write(pairs);
    }

    /// <summary>DATA.md's published and measured figures for the recipe's test split.</summary>
    static IEnumerable<string> Anchors(string? recipe) => recipe switch
    {
        "brown-pos" => ["anchors: HMM tagger ≈ 96% (DeRose 1988); greedy averaged perceptron 95.73% (unseen words 79.2%); most frequent tag 88.7%"],
        _ => [],
    };

    /// <summary>A tagger folder, every problem with it one line naming the folder.</summary>
    public static SequenceTagger Load(string folder) => Tasks.RunFolder.Load(folder, SequenceTagger.Load);

    static TagRecipe? ReadRecipe(string folder) => Tasks.RunFolder.ReadRecipe(folder, TagTask.RecipeFile, TagRecipe.FromJsonFile, TagRecipe.Quick);

    /// <summary>Weights, gradients and AdamW's two moments, plus each layer's activations kept for backward (about 16
    /// vectors of d_model per token, and the attention weights) and the character CNN's windows, for a full batch.</summary>
    static void RequireMemory(TagRecipe r)
    {
        double parameters = (double)r.VocabSize * r.DModel + (double)r.MaxLength * r.DModel
            + r.NumLayers * (4.0 * r.DModel * r.DModel + 2.0 * r.DModel * r.DimFeedforward);
        double tokens = (double)r.BatchSize * r.MaxLength;
        double activations = r.NumLayers * tokens * (16.0 * r.DModel + 2.0 * r.DimFeedforward + 2.0 * r.NumHeads * r.MaxLength)
            + tokens * 22 * (4.0 * r.CharDim + 2.0 * r.DModel);
        double bytes = 4 * (4 * parameters + activations);
        MemoryBudget.Require("training this recipe", bytes,
            $"{MemoryBudget.Format(16 * parameters)} weights and optimizer state + {MemoryBudget.Format(4 * activations)} activations of a batch",
            "lower batch_size, max_length, d_model, dim_feedforward, num_layers, char_dim or vocab_size");
    }
}
