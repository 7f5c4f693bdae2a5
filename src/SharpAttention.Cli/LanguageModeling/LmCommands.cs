using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Cli.Contract;
using SharpAttention.Data.Datasets;
using SharpAttention.IO;
using SharpAttention.Tasks.LanguageModeling;
using Spectre.Console;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>What the lm verbs do between parsing (<see cref="LmTask"/>) and the library's <see cref="LanguageModel"/>:
/// data, memory check, training with progress, the perplexity lines, the loss plot and the fixed samples.</summary>
public static class LmCommands
{
    /// <summary>The prompts and seeds of the samples a recipe run prints and keeps in results.json.</summary>
    public static readonly (string Prompt, ulong Seed)[] SamplePrompts = [("The jury said", 1), ("In the morning", 2), ("She looked at", 3)];

    /// <summary>How those samples are drawn: 40 words at temperature 0.8 from the 40 most probable tokens.</summary>
    public static GenerationOptions SampleOptions => new() { MaxNewTokens = 40, Temperature = 0.8, TopK = 40 };

    public static int Train(CliContext context, LmRecipe recipe, LmData.Sources sources, string folder, bool resume)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        void Note(string m) => console.MarkupLineInterpolated($"[grey]{m}[/]");
        OutputPaths.WritableFolder("--out", folder);
        Tasks.RunFolder.Check(recipe, folder, Path.Combine(folder, LanguageModel.CheckpointFolder, "last.safetensors"), resume, () => ReadRecipe(folder)!);
        var data = LmData.Load(recipe, sources, Note);
        RequireMemory(recipe);
        console.MarkupLineInterpolated($"[bold]attn train lm[/] — {recipe.Preset}, {SharpAttention.Threads.Count} threads, output {folder}");
        if (!resume) AtomicFile.WriteAllText(Path.Combine(folder, LmTask.RecipeFile), recipe.ToJson());
        var reporter = new ConsoleReporter(console, "validation perplexity, disjoint windows", percent: false);
        var lm = LanguageModel.Train(recipe.Options(data, folder) with
        {
            Resume = resume, CheckpointEvery = 200, Log = Note, StepCompleted = reporter.Step, Evaluated = reporter.Evaluated,
        });
        console.MarkupLineInterpolated($"trained {lm.Training!.Steps:N0} steps in {ConsoleReporter.Format(clock.Elapsed)}");
        foreach (var (part, r) in lm.Scores) Show(context, r, part, recipe.Recipe);
        LossCurve.Save(Path.Combine(folder, LanguageModel.MetricsFile), Path.Combine(folder, LmTask.LossFile), "valid_perplexity", percent: false);
        var samples = Samples(context, lm);
        var resultsPath = Path.Combine(folder, LanguageModelFolder.ResultsFile);
        var results = JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject();
        results["samples"] = samples;
        results["wall_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        AtomicFile.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        console.MarkupLineInterpolated($"model, tokenizer, recipe, token files, checkpoints, results.json, metrics.jsonl and loss.png are in {folder}; total {ConsoleReporter.Format(clock.Elapsed)}");
        return 0;
    }

    /// <summary>Three continuations of fixed prompts with fixed seeds, printed and returned for results.json.</summary>
    static JsonArray Samples(CliContext context, LanguageModel lm)
    {
        var samples = new JsonArray();
        context.Console.MarkupLine("[bold]samples[/] (temperature 0.8, top-k 40, 40 tokens):");
        foreach (var (prompt, seed) in SamplePrompts)
        {
            var text = lm.Generate(prompt, SampleOptions with { Seed = seed })[0];
            context.Console.MarkupLineInterpolated($"  [grey]seed {seed}:[/] [bold]{prompt}[/]{text}");
            samples.Add(new JsonObject { ["prompt"] = prompt, ["seed"] = seed, ["text"] = text });
        }
        return samples;
    }

    public static int Eval(CliContext context, string folder, string? dataPath, int? stride, bool json)
    {
        var lm = Load(folder);
        if (stride is int s) Check.Flag("--stride", s, Bounds.Integers(1, lm.Context));
        IEnumerable<string> documents;
        string part;
        var recipe = ReadRecipe(folder);
        if (dataPath != null)
        {
            if (!File.Exists(dataPath) && !Directory.Exists(dataPath)) throw new CliException($"--data {Shown.Quote(dataPath)} does not exist");
            documents = TextDocuments.Read([dataPath], recipe?.DocumentSplit ?? DocumentSplit.BlankLine).ToList();
            if (!documents.Any()) throw new CliException($"--data {Shown.Quote(dataPath)} holds no text");
            part = Path.GetFileName(Path.TrimEndingDirectorySeparator(dataPath));
        }
        else
        {
            if (recipe?.Recipe is null) throw new UsageException("--data is required: the model was trained on your own data, whose test part only you have");
            documents = CorpusSources.Brown(BrownCorpus.Open()).Test;
            part = $"{recipe.Recipe} test";
        }
        var r = lm.Perplexity(documents, stride);
        if (json)
        {
            var o = LanguageModel.ToJson(r);
            o["stride"] = stride ?? Math.Max(1, lm.Context / 2);
            o["context"] = lm.Context;
            context.Output.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else Show(context, r, part, recipe?.Recipe);
        return 0;
    }

    static void Show(CliContext context, PerplexityResult r, string part, string? recipe)
    {
        string bpb = r.BitsPerByte is double b ? $", {b:F4} bits per byte" : "";
        context.Console.MarkupLineInterpolated($"[bold]{part}[/]: perplexity [bold]{r.Perplexity:F2}[/] over {r.Tokens:N0} tokens (mean NLL {r.NegativeLogLikelihood:F4} nats{bpb})");
        if (recipe == "brown-lm" && part.EndsWith("test", StringComparison.Ordinal))
            context.Console.MarkupLine("  [grey]anchors (Bengio et al. 2003, Brown test): best neural model 252, class-based trigram 312, Kneser-Ney 5-gram 321[/]");
    }

    /// <summary>A model folder, every problem with it one line naming the folder.</summary>
    public static LanguageModel Load(string folder) => Tasks.RunFolder.Load(folder, LanguageModel.Load);

    static LmRecipe? ReadRecipe(string folder) => Tasks.RunFolder.ReadRecipe(folder, LmTask.RecipeFile, LmRecipe.FromJsonFile, LmRecipe.Quick);

    /// <summary>Weights, gradients and AdamW's moments, plus a batch's activations (about 16 vectors of d_model and two
    /// of the feed-forward width per token per layer, the logits and their gradient).</summary>
    static void RequireMemory(LmRecipe r)
    {
        double vocab = r.VocabSize ?? 50_000;
        double parameters = vocab * r.DModel + r.NumLayers * (4.0 * r.DModel * r.DModel + 3.0 * r.DModel * r.DimFeedforward);
        double tokens = (double)r.BatchSize * r.Context;
        double activations = r.NumLayers * tokens * (16.0 * r.DModel + 3.0 * r.DimFeedforward) + 3 * tokens * vocab;
        double bytes = 4 * (4 * parameters + activations);
        MemoryBudget.Require("training this recipe", bytes,
            $"{MemoryBudget.Format(16 * parameters)} weights and optimizer state + {MemoryBudget.Format(4 * activations)} activations of a batch",
            "lower batch_size, context, d_model, dim_feedforward, num_layers or vocab_size");
    }
}
