using System.Diagnostics;
using System.Text.Json;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.IO;
using SharpAttention.Tasks.Classification;
using SharpAttention.Training;
using Spectre.Console;

namespace SharpAttention.Cli.Classification;

/// <summary>What the classify verbs do, between parsing (<see cref="ClassifyTask"/>) and the library's
/// <see cref="TextClassifier"/>: data, memory check, training with progress, the metrics tables and pictures.</summary>
public static class ClassifyCommands
{
    public static int Train(CliContext context, ClassifyRecipe recipe, ClassifyData.Sources sources, string folder, bool resume)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        void Note(string m) => console.MarkupLineInterpolated($"[grey]{m}[/]");
        OutputPaths.WritableFolder("--out", folder);
        string last = TextClassifier.LastCheckpoint(folder, recipe.EnsembleFolds);
        if (resume && recipe.PretrainEpochs > 0 && !File.Exists(last) && File.Exists(Path.Combine(folder, ClassifyTask.RecipeFile)))
            throw new CliException($"--resume: there is no checkpoint at {last}: the run stopped before fine-tuning began (during pre-training or " +
                                   "the threshold's first model, which are not resumed); start it again without --resume");
        Tasks.RunFolder.Check(recipe, folder, last, resume, () => ReadRecipe(folder)!);
        // A run of the other kind (one model against an ensemble) leaves its checkpoint elsewhere.
        if (!resume && File.Exists(TextClassifier.LastCheckpoint(folder, recipe.EnsembleFolds > 1 ? 1 : 2)))
            throw new CliException($"{folder} already holds a training run: add --resume to continue it, or choose another --out");
        var data = ClassifyData.Load(recipe, sources, Note);
        ClassificationData.Check(data);
        var labels = ClassificationData.Labels(data.Train);
        if ((recipe.TuneThreshold || recipe.DecisionThreshold != null) && labels.Length != 2)
            throw new CliException($"a decision threshold (--threshold, tune_threshold, decision_threshold) needs two classes; the training data has {labels.Length}: {string.Join(", ", labels)}");
        int smallest = ClassificationData.Counts(data.Train, labels).Min();
        if (recipe.EnsembleFolds > smallest)
            throw new CliException($"ensemble_folds (--ensemble-folds) = {recipe.EnsembleFolds}: every fold needs a text of each class, and the smallest class has {smallest} training texts");
        RequireMemory(recipe);
        console.MarkupLineInterpolated($"[bold]attn train classify[/] — {recipe.Preset}, {SharpAttention.Threads.Count} threads, output {folder}");
        Note($"{data.Train.Count:N0} train / {data.Valid.Count:N0} valid / {data.Test.Count:N0} test texts");
        if (!resume) AtomicFile.WriteAllText(Path.Combine(folder, ClassifyTask.RecipeFile), recipe.ToJson());
        var reporter = new ConsoleReporter(console, "validation part");
        var classifier = TextClassifier.Train(recipe.Options(data, folder) with
        {
            Resume = resume, CheckpointEvery = 200, Log = Note, StepCompleted = reporter.Step, Evaluated = reporter.Evaluated,
            PretrainStepCompleted = new ConsoleReporter(console).Step,
        });
        var training = classifier.Training!;
        console.MarkupLineInterpolated($"trained {training.Steps:N0} steps in {ConsoleReporter.Format(clock.Elapsed)}");
        if (classifier.Threshold is double t) Note($"decision threshold: {classifier.Labels[1]} when its probability is at least {t:G4}");
        foreach (var (part, metrics) in classifier.Scores) Show(context, metrics, classifier.Labels, part, recipe.Recipe);
        if (classifier.Scores.TryGetValue("test", out var test) || classifier.Scores.TryGetValue("valid", out test))
            ConfusionMatrixPng.Save(Path.Combine(folder, ClassifyTask.ConfusionFile), test, classifier.Labels);
        if (classifier.Members.Count == 0) LossCurve.Save(Path.Combine(folder, TextClassifier.MetricsFile), Path.Combine(folder, ClassifyTask.LossFile), "valid_macro_f1");
        string written = classifier.Members.Count > 0 ? $"{classifier.Members.Count} members (member-0/ …), recipe, results.json and confusion.png"
            : "model, tokenizer, recipe, checkpoints, results.json, metrics.jsonl, loss.png and confusion.png";
        console.MarkupLineInterpolated($"{written} are in {folder}; total {ConsoleReporter.Format(clock.Elapsed)}");
        return 0;
    }

    public static int Eval(CliContext context, string folder, string? dataPath, TextColumns columns, bool json)
    {
        var classifier = Load(folder);
        IReadOnlyList<LabeledText> texts;
        string part;
        if (dataPath != null)
        {
            texts = ClassifyData.Read("--data", dataPath, columns);
            part = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataPath));
        }
        else
        {
            var recipe = ReadRecipe(folder);
            if (recipe?.Recipe is null) throw new UsageException("--data is required: the model was trained on your own data, whose test part only you have");
            texts = ClassifyData.Load(recipe, new ClassifyData.Sources(null, null, null, TextColumns.Default, false), _ => { }).Test;
            part = $"{recipe.Recipe} test";
        }
        var metrics = classifier.Evaluate(texts);
        if (json) context.Output.WriteLine(metrics.ToJson(classifier.Labels).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else Show(context, metrics, classifier.Labels, part, ReadRecipe(folder)?.Recipe);
        return 0;
    }

    /// <summary>Accuracy, macro/micro F1, ROC-AUC and per-class precision/recall/F1 as a table, the published anchors
    /// beside a recipe's test scores, then the confusion matrix.</summary>
    static void Show(CliContext context, ClassificationMetrics m, IReadOnlyList<string> labels, string part, string? recipe)
    {
        var console = context.Console;
        string auc = m.RocAuc is double a ? $", ROC-AUC {a:F4}" : "";
        console.MarkupLineInterpolated($"[bold]{part}[/]: {m.Count:N0} texts — accuracy [bold]{m.Accuracy * 100:F2}%[/], macro F1 {m.MacroF1:F4}, micro F1 {m.MicroF1:F4}{auc}");
        var table = new Table()
            .AddColumn("class").AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("recall").RightAligned())
            .AddColumn(new TableColumn("F1").RightAligned()).AddColumn(new TableColumn("support").RightAligned());
        for (int c = 0; c < labels.Count; c++)
            table.AddRow(Markup.Escape(labels[c]), $"{m.Precision(c):F4}", $"{m.Recall(c):F4}", $"{m.F1(c):F4}", $"{m.Support(c):N0}");
        console.Write(table);
        if (part.StartsWith("test", StringComparison.Ordinal) || part.EndsWith(" test", StringComparison.Ordinal))
            foreach (var line in Anchors(recipe)) console.MarkupLineInterpolated($"  [grey]{line}[/]");
        console.WriteLine(m.ConfusionTable(labels));
    }

    /// <summary>DATA.md's published and measured figures for the recipe's test split.</summary>
    static IEnumerable<string> Anchors(string? recipe) => recipe switch
    {
        "spam" => ["anchors: Géron's logistic regression 98.7% accuracy; bag-of-words logistic regression on bodies 98.7–99.7%, spam F1 0.958–0.990"],
        "spam-hard" => ["anchor: bag-of-words logistic regression on bodies 98.2% accuracy, spam F1 0.971"],
        _ => [],
    };

    /// <summary>Texts from the arguments, else stdin: one per line, or JSON Lines with a "text" field.</summary>
    public static string[] Texts(string[]? given, TextReader stdin)
    {
        var texts = InputText.Collect(given, stdin, "text");
        if (given is { Length: > 0 }) return texts;
        return [.. texts.Select((line, i) => line.StartsWith('{') ? JsonText(line, i + 1) : line)];
    }

    static string JsonText(string line, int number)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(line)?["text"]?.GetValue<string>()
                ?? throw new UsageException($"stdin:{number}: a JSON line needs a \"text\" string");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new UsageException($"stdin:{number}: not a JSON object with a \"text\" string ({e.Message})");
        }
    }

    /// <summary>A model folder, every problem with it one line naming the folder.</summary>
    public static TextClassifier Load(string folder) => Tasks.RunFolder.Load(folder, TextClassifier.Load);

    static ClassifyRecipe? ReadRecipe(string folder) => Tasks.RunFolder.ReadRecipe(folder, ClassifyTask.RecipeFile, ClassifyRecipe.FromJsonFile, ClassifyRecipe.Quick);

    /// <summary>Weights, gradients and AdamW's two moments, plus each layer's activations kept for backward
    /// (about 16 vectors of d_model per token, and the attention weights of the composed path) for a full batch.</summary>
    static void RequireMemory(ClassifyRecipe r)
    {
        double parameters = (double)r.VocabSize * r.DModel + (double)r.MaxLength * r.DModel
            + r.NumLayers * (4.0 * r.DModel * r.DModel + 2.0 * r.DModel * r.DimFeedforward);
        double tokens = (double)r.BatchSize * r.MaxLength;
        double activations = r.NumLayers * tokens * (16.0 * r.DModel + 2.0 * r.DimFeedforward + 2.0 * r.NumHeads * r.MaxLength);
        double bytes = 4 * (4 * parameters + activations);
        MemoryBudget.Require("training this recipe", bytes,
            $"{MemoryBudget.Format(16 * parameters)} weights and optimizer state + {MemoryBudget.Format(4 * activations)} activations of a batch",
            "lower batch_size, max_length, d_model, dim_feedforward, num_layers or vocab_size");
    }
}
