using System.Diagnostics;
using SharpAttention.Cli.Contract;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.G2p;
using SharpAttention.Training;
using Spectre.Console;

namespace SharpAttention.Cli.G2p;

/// <summary>What the g2p verbs do, between parsing (<see cref="G2pTask"/>) and the library's <see cref="G2pModel"/>:
/// the dictionary, the run folder's rules, memory checks, progress, the loss curve and the WER/PER tables.</summary>
public static class G2pCommands
{
    public const string LossCurveFile = "loss.png";

    public static int Train(CliContext context, G2pRecipe recipe, string output, string? data, bool resume)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        var reporter = new ConsoleReporter(console);
        var dictionary = Dictionary(data, reporter.Info);
        OutputPaths.WritableFolder("--out", output);
        console.MarkupLineInterpolated($"[bold]attn train g2p[/] — preset {recipe.Preset}, {SharpAttention.Threads.Count} threads, output {output}");
        var split = G2pData.LoadSplit(dictionary, reporter.Info);
        G2pData.CheckEntries([.. split.Train, .. split.Dev, .. split.Test], recipe.MaxLen, dictionary);
        reporter.Info($"cmudict: {split.Train.Count:N0} train / {split.Dev.Count:N0} dev / {split.Test.Count:N0} test words ({dictionary})");
        var (graphemes, phonemes) = CheckRunFolder(recipe, output, resume) ?? G2pData.BuildVocabularies(split.Train);
        G2pMemory.RequireTraining(recipe, graphemes.Count, phonemes.Count, split.Train.Max(e => e.Word.Length) + 1,
                                  split.Train.Max(e => e.Pronunciations.Max(p => p.Length)) + 1, recipe.ConcurrentReplicas(SharpAttention.Threads.Count));
        G2pModel model;
        try
        {
            model = G2pModel.Train(new G2pOptions(split, output)
            {
                Recipe = recipe, Resume = resume, Log = reporter.Info, StepCompleted = reporter.Step, Evaluated = reporter.Evaluated,
            });
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            // Checkpoints that cannot be resumed from or reloaded: the message names each file and what is wrong.
            throw new CliException(e.Message.ReplaceLineEndings(" "), e);
        }
        console.MarkupLineInterpolated($"trained {model.Training!.Steps:N0} steps in {ConsoleReporter.Format(clock.Elapsed)}; best dev WER (greedy) {model.Training.BestMetric * 100:F2}%");
        try
        {
            LossCurve.Save(Path.Combine(output, G2pModel.MetricsFile), Path.Combine(output, LossCurveFile), warn: m => reporter.Info("warning: " + m));
        }
        catch (Exception e)
        {
            // The picture is a convenience: a failure to draw it must not hide the scores.
            reporter.Info($"warning: could not draw {LossCurveFile}: {e.Message}");
        }
        Show(context, 1, model.TestScore!, recipe.BeamWidth, "test");
        console.MarkupLineInterpolated($"model, vocabularies, recipe, checkpoints, metrics.jsonl and loss.png are in {output}; total {ConsoleReporter.Format(clock.Elapsed)}");
        return 0;
    }

    /// <summary>A new run never overwrites one (it needs --resume); a resumed run keeps its network, replicas and moving
    /// average, and its vocabularies, which are returned (null for a new run).</summary>
    static (Text.Vocabulary Graphemes, Text.Vocabulary Phonemes)? CheckRunFolder(G2pRecipe recipe, string output, bool resume)
    {
        if (!resume)
        {
            if (G2pModel.HasCheckpoint(output)) throw new CliException($"{output} already holds a training run: add --resume to continue it, or choose another --out");
            return null;
        }
        try
        {
            G2pModel.CheckResumable(recipe, output);
            return G2pModel.LoadVocabularies(output);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException)
        {
            throw new CliException($"--resume: {e.Message}", e);
        }
    }

    /// <summary>cmudict's dict.txt: --data's, or the cached copy (fetched on first use).</summary>
    public static string Dictionary(string? data, Action<string> log)
    {
        try
        {
            return CmuDict.Resolve(data, log);
        }
        catch (DataUnavailableException e) when (data != null)
        {
            throw new CliException($"--data: {e.Message}", e);
        }
    }

    /// <summary>Scores one model, or several (one folder each) decoding as an ensemble; the first one's recipe gives the default beam.</summary>
    public static int Eval(CliContext context, IReadOnlyList<string> modelFolders, string? data, int? beamWidth, string part = "test")
    {
        var models = LoadEnsemble(modelFolders, context.Error);
        var model = models[0];
        void Note(string m) => context.Console.MarkupLineInterpolated($"[grey]{m}[/]");
        var dictionary = Dictionary(data, Note);
        var split = G2pData.LoadSplit(dictionary, Note);
        var entries = part switch
        {
            "test" => split.Test,
            "dev" => split.Dev,
            "train" => split.Train,
            _ => throw new UsageException($"--part must be test, dev or train, got {Shown.Quote(part)}"),
        };
        G2pData.CheckEntries([.. split.Train, .. split.Dev, .. split.Test], models.Min(m => m.Recipe.MaxLen), dictionary);
        // Scoring keeps the protocol's words, so letters the training part never had are read as <unk>, but said.
        var unseen = entries.Where(e => G2pWords.Unseen(model, e.Word).Length > 0).ToArray();
        if (unseen.Length > 0)
            Note($"{unseen.Length} {part} word(s) hold characters the model never saw, read as <unk>: " +
                 G2pWords.Describe([.. unseen.SelectMany(e => G2pWords.Unseen(model, e.Word)).Distinct()]));
        int width = beamWidth ?? model.Recipe.BeamWidth;
        G2pMemory.RequireDecoding(models, [.. entries.Select(e => e.Word)], width);
        var clock = Stopwatch.StartNew();
        var score = G2pEvaluation.Score(models, entries, width);
        Show(context, models.Length, score, width, part, $", {clock.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    /// <summary>Prints WER/PER beside the published anchors and a few predictions.</summary>
    static void Show(CliContext context, int models, G2pScore score, int beamWidth, string part, string timing = "")
    {
        var console = context.Console;
        string ensemble = models > 1 ? $", ensemble of {models} models" : "";
        var table = new Table().Title($"{part}: {score.Words:N0} words, beam {beamWidth}{ensemble}{timing}")
            .AddColumn("system").AddColumn(new TableColumn("WER").RightAligned()).AddColumn(new TableColumn("PER").RightAligned());
        table.AddRow(models > 1 ? "[bold]this ensemble[/]" : "[bold]this model[/]", $"[bold]{score.WordErrorRate * 100:F2}%[/]", $"[bold]{score.PhonemeErrorRate * 100:F2}%[/]");
        if (part == "test")   // the published figures are test-set results
        {
            table.AddRow("g2p-seq2seq Transformer 3×256 (latest cmudict)", "30.2%", "–");
            table.AddRow("Sequitur G2P", "24.5%", "5.9%");
            table.AddRow("LSTM seq2seq 2×512", "23.3%", "–");
        }
        console.Write(table);
        console.MarkupLine("examples (word → predicted | reference):");
        foreach (var (entry, predicted) in score.Predictions.Where((_, i) => i % Math.Max(1, score.Words / 8) == 0).Take(8))
        {
            bool ok = entry.Pronunciations.Any(p => p.AsSpan().SequenceEqual(predicted));
            console.Markup(ok ? "  [green]✓[/] " : "  [red]✗[/] ");
            console.MarkupLineInterpolated($"{entry.Word,-14} → {string.Join(' ', predicted),-28} | {string.Join(' ', entry.Pronunciations[0])}");
        }
    }

    /// <summary>Model folders to decode together: each loaded (<see cref="Load"/>), then checked to share vocabularies.</summary>
    public static G2pModel[] LoadEnsemble(IReadOnlyList<string> folders, TextWriter warnings)
    {
        var models = folders.Select(folder => Load(folder, warnings)).ToArray();
        try
        {
            G2pPredictor.CheckSameVocabularies(models);
        }
        catch (ArgumentException e)
        {
            throw new CliException(e.Message, e);
        }
        return models;
    }

    /// <summary>Loads a folder to use it; every problem with it is one line naming the folder and file (recipe.json read
    /// by the config contract: its line and key), and a run that did not finish is warned about in one line on
    /// <paramref name="warnings"/> (its weights may be untrained).</summary>
    public static G2pModel Load(string folder, TextWriter? warnings = null)
    {
        if (!Directory.Exists(folder)) throw new CliException($"--model: folder '{folder}' does not exist");
        var recipe = Path.Combine(folder, G2pModel.RecipeFile);
        if (File.Exists(recipe)) G2pRecipeKeys.FromJsonFile(recipe, G2pRecipe.SavedBase);
        G2pModel model;
        try
        {
            model = G2pModel.Load(folder);
        }
        catch (FileNotFoundException e) when (e.FileName is { } missing && Path.GetDirectoryName(missing) == folder.TrimEnd(Path.DirectorySeparatorChar))
        {
            throw new CliException($"--model: {e.Message}", e);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or NN.StateDictException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--model '{folder}': {e.Message}", e);
        }
        if (warnings != null && model.Unfinished is { } state)
        {
            var checkpoints = Path.Combine(folder, G2pModel.CheckpointFolder);
            bool resumable = Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "*.safetensors").Any();
            warnings.WriteLine($"attn: warning: the training run that wrote '{folder}' did not finish ({state.MaxSteps:N0} steps planned; see " +
                               $"{TrainerState.FileName}), so its weights may be untrained — " +
                               (resumable ? $"finish it with `attn train g2p --out {folder} --resume`" : $"train it again with `attn train g2p --out {folder}`"));
        }
        return model;
    }
}
