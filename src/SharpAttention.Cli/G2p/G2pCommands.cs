using System.Diagnostics;
using System.Text.Json;
using SharpAttention.Cli.Contract;
using Spectre.Console;

namespace SharpAttention.Cli.G2p;

/// <summary>What the g2p verbs do, between parsing (Commands/) and the task code (G2p/).</summary>
public static class G2pCommands
{
    public const string ResultsFile = "results.json";

    public static int Train(CliContext context, G2pRecipe recipe, string output, string? data, bool resume)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        var dictionary = CmuDictSource.Resolve(data, m => console.MarkupLineInterpolated($"[grey]{m}[/]"));
        OutputPaths.WritableFolder("--out", output);
        console.MarkupLineInterpolated($"[bold]attn train g2p[/] — preset {recipe.Preset}, {SharpAttention.Threads.Count} threads, output {output}");
        var run = G2pTraining.Run(recipe, dictionary, output, resume, new ConsoleReporter(console));
        console.MarkupLineInterpolated($"trained {run.Training.Steps:N0} steps in {ConsoleReporter.Format(clock.Elapsed)}; best dev WER (greedy) {run.Training.BestMetric * 100:F2}%");
        SharpAttention.Tensors.StoragePool.ReturnIdleMemory();   // the training steps' buffers: decoding needs other shapes
        var score = Evaluate(context, [run.Model], run.Split.Test, run.Model.Recipe.BeamWidth, "test");
        WriteResults(output, run.Model.Recipe, score, clock.Elapsed);
        console.MarkupLineInterpolated($"model, vocabularies, recipe, checkpoints, metrics.jsonl and loss.png are in {output}; total {ConsoleReporter.Format(clock.Elapsed)}");
        return 0;
    }

    /// <summary>Scores one model, or several (one folder each) decoding as an ensemble; the first one's recipe gives the default beam.</summary>
    public static int Eval(CliContext context, IReadOnlyList<string> modelFolders, string? data, int? beamWidth, string part = "test")
    {
        var models = modelFolders.Select(folder => G2pModel.Load(folder, context.Error)).ToArray();
        var model = models[0];
        void Note(string m) => context.Console.MarkupLineInterpolated($"[grey]{m}[/]");
        var dictionary = CmuDictSource.Resolve(data, Note);
        var split = G2pData.LoadSplit(dictionary, Note);
        var entries = part switch
        {
            "test" => split.Test,
            "dev" => split.Dev,
            "train" => split.Train,
            _ => throw new UsageException($"--part must be test, dev or train, got {Shown.Quote(part)}"),
        };
        G2pData.CheckEntries([.. split.Train, .. split.Dev, .. split.Test], dictionary, models.Min(m => m.Recipe.MaxLen));
        // Scoring keeps the protocol's words, so letters the training part never had are read as <unk>, but said.
        var unseen = entries.Where(e => G2pWords.Unseen(model, e.Word).Length > 0).ToArray();
        if (unseen.Length > 0)
            Note($"{unseen.Length} {part} word(s) hold characters the model never saw, read as <unk>: " +
                 G2pWords.Describe([.. unseen.SelectMany(e => G2pWords.Unseen(model, e.Word)).Distinct()]));
        int width = beamWidth ?? model.Recipe.BeamWidth;
        G2pMemory.RequireDecoding(models, [.. entries.Select(e => e.Word)], width);
        Evaluate(context, models, entries, width, part);
        return 0;
    }

    /// <summary>Scores <paramref name="entries"/>, prints WER/PER beside the published anchors and a few predictions.</summary>
    static G2pScore Evaluate(CliContext context, IReadOnlyList<G2pModel> models, IReadOnlyList<Data.Datasets.PronunciationEntry> entries, int beamWidth, string part)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        var score = G2pEvaluation.Score(models, entries, beamWidth);
        string ensemble = models.Count > 1 ? $", ensemble of {models.Count} models" : "";
        var table = new Table().Title($"{part}: {score.Words:N0} words, beam {beamWidth}{ensemble}, {clock.Elapsed.TotalSeconds:F0} s")
            .AddColumn("system").AddColumn(new TableColumn("WER").RightAligned()).AddColumn(new TableColumn("PER").RightAligned());
        table.AddRow(models.Count > 1 ? "[bold]this ensemble[/]" : "[bold]this model[/]", $"[bold]{score.WordErrorRate * 100:F2}%[/]", $"[bold]{score.PhonemeErrorRate * 100:F2}%[/]");
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
        return score;
    }

    static void WriteResults(string folder, G2pRecipe recipe, G2pScore score, TimeSpan wall)
    {
        var json = JsonSerializer.Serialize(new
        {
            preset = recipe.Preset, test_words = score.Words, beam_width = recipe.BeamWidth,
            wer = score.WordErrorRate, per = score.PhonemeErrorRate, wall_seconds = wall.TotalSeconds, threads = SharpAttention.Threads.Count,
        }, new JsonSerializerOptions { WriteIndented = true });
        IO.AtomicFile.WriteAllText(Path.Combine(folder, ResultsFile), json);
    }
}
