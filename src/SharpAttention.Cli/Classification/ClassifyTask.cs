using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Cli.Contract;
using SharpAttention.Cli.Tasks;
using SharpAttention.IO;
using SharpAttention.Onnx;
using SharpAttention.Text;
using SharpAttention.Tasks.Classification;
using Spectre.Console;

namespace SharpAttention.Cli.Classification;

/// <summary>
/// Text classification on `attn`'s shared verbs: `train classify` (the user's CSV/TSV, JSON Lines or folder per class,
/// or --recipe spam), `eval classify` (metrics and confusion matrix, --json), `predict` (label and probabilities) and
/// `attend` (the text shaded by the pooling attention, every layer's and head's self-attention). The library side is
/// <see cref="TextClassifier"/>; a model folder holds config.json, model.safetensors, the tokenizer files, recipe.json,
/// results.json, metrics.jsonl, loss.png and confusion.png.
/// </summary>
public sealed class ClassifyTask : CliTask
{
    public const string RecipeFile = "recipe.json", ConfusionFile = "confusion.png", LossFile = "loss.png";

    readonly Option<bool> predictJson = new("--json") { Description = "classify: one JSON object per text (label, probabilities, text)" };

    public override string Name => "classify";
    public override string Summary => "text classification: an encoder with a pooling head on your labelled texts";
    public override IReadOnlyList<Option> PredictOptions => [predictJson];

    /// <summary>A folder with a config.json that names no other task's architecture (a damaged one is left to the
    /// classifier's loader, which says what is wrong).</summary>
    public override bool Owns(string folder) => File.Exists(Path.Combine(folder, ClassifierFolder.ConfigFile)) && !HasArchitecture(folder, "TokenTagger");

    static Option<string> TextColumn() => new("--text-column") { Description = "CSV/TSV column or JSON Lines field holding the text", DefaultValueFactory = _ => "text" };
    static Option<string> LabelColumn() => new("--label-column") { Description = "CSV/TSV column or JSON Lines field holding the label", DefaultValueFactory = _ => "label" };

    public override Command TrainCommand(CliContext context)
    {
        var flags = new TrainFlags(Name, "your labelled texts: a CSV/TSV with a header, a JSON Lines file, or a folder per class (data/LABEL/*.txt); " +
            "with --recipe spam, a local copy of the SpamAssassin corpus", [.. ClassifyRecipe.PresetNames], [.. ClassifyRecipe.RecipeNames],
            () => ClassifyRecipe.RangeOf("epochs"), () => ClassifyRecipe.RangeOf("max_steps"));
        var textColumn = TextColumn();
        var labelColumn = LabelColumn();
        var valid = new Option<string?>("--valid") { Description = "validation texts (same format as --data) instead of a share of --data" };
        var test = new Option<string?>("--test") { Description = "test texts (same format as --data) instead of a share of --data" };
        var split = new Option<string?>("--split") { Description = "stratified shares of --data: train/valid/test (80/10/10, the default) or train/test (80/20)" };
        var seed = Flags.Long("--seed", "seed of the split, the initialisation and the batch order (default 42)", () => Bounds.Integers(0, long.MaxValue));
        var pooling = new Option<string?>("--pooling") { Description = $"how token vectors become one [{string.Join("|", ClassifyRecipe.PoolingNames)}] (default attention)" };
        pooling.AcceptOnlyFromAmong([.. ClassifyRecipe.PoolingNames]);
        var classWeights = new Option<bool>("--class-weights") { Description = "weight each class's loss inversely to its frequency (imbalanced data)" };
        var threshold = new Option<string?>("--threshold")
        {
            Description = "two classes: 'auto' chooses the probability of the second label from which it is predicted on held-out texts " +
                "(best F1), a number in (0, 1) fixes it, 'argmax' takes the most probable label",
        };
        var ensembleFolds = Flags.Long("--ensemble-folds", "train K cross-fitted members (member-i/, each on all but one of K stratified folds) " +
            "and predict the mean of their probabilities; the out-of-fold probabilities choose --threshold auto (default 1: one model)", () => ClassifyRecipe.RangeOf("ensemble_folds"));
        var command = new Command(Name, "train a text classifier on your data (or --recipe spam) and report its test metrics")
            { textColumn, labelColumn, valid, test, split, seed, pooling, classWeights, threshold, ensembleFolds };
        flags.AddTo(command);
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            string folder = parsed.GetValue(flags.Out)!;
            bool resuming = parsed.GetValue(flags.Resume);
            var recipe = flags.Choose(parsed, RecipeFile, ClassifyRecipe.FromPreset, ClassifyRecipe.FromJsonFile, ClassifyRecipe.Quick);
            if (parsed.GetValue(split) is { } s) recipe = recipe with { Split = s };
            if (parsed.GetValue(seed) is long n) recipe = recipe with { Seed = (ulong)n };
            if (parsed.GetValue(pooling) is { } p) recipe = recipe with { Pooling = p };
            if (parsed.GetValue(classWeights)) recipe = recipe with { ClassWeights = true };
            if (parsed.GetValue(threshold) is { } t) recipe = ThresholdFlag(recipe, t);
            if (parsed.GetValue(ensembleFolds) is long k) recipe = recipe with { EnsembleFolds = (int)k };
            try
            {
                recipe.Validate();
            }
            catch (ConfigKeyException x) when (x.Keys.Contains("split") && parsed.GetValue(split) != null)
            {
                throw new UsageException($"--split: {x.Message}");
            }
            var sources = new ClassifyData.Sources(parsed.GetValue(flags.Data), parsed.GetValue(valid), parsed.GetValue(test),
                new TextColumns(parsed.GetValue(textColumn)!, parsed.GetValue(labelColumn)!), parsed.GetValue(split) != null);
            return ClassifyCommands.Train(context, recipe, sources, folder, resuming);
        }));
        return command;
    }

    /// <summary>--threshold auto|argmax|P onto the recipe's tune_threshold and decision_threshold keys.</summary>
    static ClassifyRecipe ThresholdFlag(ClassifyRecipe recipe, string value)
    {
        if (value == "auto") return recipe with { TuneThreshold = true, DecisionThreshold = null };
        if (value == "argmax") return recipe with { TuneThreshold = false, DecisionThreshold = null };
        var range = ClassifyRecipe.RangeOf("decision_threshold");
        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double p) || !range.Contains(p))
            throw new UsageException($"--threshold {Shown.Quote(value)}: expected auto, argmax or a probability in {range}");
        return recipe with { TuneThreshold = false, DecisionThreshold = p };
    }

    public override Command EvalCommand(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "folder written by `attn train classify`", Required = true };
        var data = new Option<string?>("--data") { Description = "labelled texts to score (CSV/TSV, JSON Lines or a folder per class); default: the recipe's test part" };
        var textColumn = TextColumn();
        var labelColumn = LabelColumn();
        var json = new Option<bool>("--json") { Description = "print the metrics as one JSON object (as in results.json) instead of tables" };
        var command = new Command(Name, "accuracy, per-class precision/recall/F1, macro/micro F1, ROC-AUC and the confusion matrix of a classifier")
            { model, data, textColumn, labelColumn, json };
        command.SetAction(parsed => context.Guard(parsed, () =>
        {
            RequireOwn(parsed.GetValue(model)!);
            return ClassifyCommands.Eval(context, parsed.GetValue(model)!, parsed.GetValue(data),
                new TextColumns(parsed.GetValue(textColumn)!, parsed.GetValue(labelColumn)!), parsed.GetValue(json));
        }));
        return command;
    }

    public override int Predict(CliContext context, ParseResult parsed, IReadOnlyList<string> models, string[]? inputs)
    {
        if (models.Count > 1) throw new UsageException("--model: a classifier predicts alone; give one --model");
        var texts = ClassifyCommands.Texts(inputs, context.Input);
        var classifier = ClassifyCommands.Load(models[0]);
        var predictions = classifier.Predict(texts);
        bool json = parsed.GetValue(predictJson);
        for (int i = 0; i < texts.Length; i++)
        {
            var p = predictions[i];
            if (json)
            {
                var probabilities = new JsonObject();
                foreach (var (label, probability) in p.Probabilities) probabilities[label] = Math.Round(probability, 6);
                context.Output.WriteLine(new JsonObject { ["label"] = p.Label, ["probabilities"] = probabilities, ["text"] = texts[i] }.ToJsonString());
            }
            else
                context.Output.WriteLine($"{p.Label}\t{p.Probabilities[p.Label]:F4}\t{Shown.Escape(Shown.Shorten(texts[i], Shown.MaxValue))}");
        }
        return 0;
    }

    /// <summary>One graph (input_ids, attention_mask → logits) and, beside it, config.json (labels, max_length) and the
    /// tokenizer files; an ensemble is refused, naming the member folders to export one by one.</summary>
    public override IReadOnlyList<string> Export(string folder, string output, OnnxExportOptions options)
    {
        var classifier = ClassifyCommands.Load(folder);
        var members = classifier.Members;
        if (members.Count > 0)
            throw new CliException($"--model {Shown.Quote(folder)} is an ensemble of {members.Count} members with tokenizers of their own, which one graph " +
                $"cannot hold: export each member folder ({string.Join(", ", Enumerable.Range(0, members.Count).Select(TextClassifier.MemberFolder))}) " +
                "and average their probabilities");
        return ExportOneGraph(folder, output, ClassifierFolder.ConfigFile, path => classifier.Model.ExportOnnx(path, options));
    }

    public override int Attend(CliContext context, ParseResult parsed, string folder, string input, string output)
    {
        var text = ClassifyCommands.Texts([input], context.Input)[0];
        OutputPaths.WritableFile("--out", output, ".html");
        var classifier = ClassifyCommands.Load(folder);
        var page = ClassifyAttention.Render(classifier, text);
        AtomicFile.WriteAllText(output, page.Html);
        var top = page.Explanation.Tokens.Where(t => t.End > t.Start).OrderByDescending(t => t.Evidence).Take(5)
            .Select(t => $"{Shown.Quote(t.Token)} {t.Evidence:+0.000;-0.000}");
        var prediction = page.Explanation.Prediction;
        context.Output.WriteLine($"{prediction.Label}\t{prediction.Probabilities[prediction.Label]:F4}\tstrongest evidence: {string.Join(", ", top)}");
        context.Output.WriteLine($"wrote {output}");
        return 0;
    }
}
