using System.Diagnostics;
using System.Text.Json;
using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.G2p;

// Training: dictionary split → letter and phoneme vocabularies → Seq2SeqTransformer → Trainer → test WER/PER → model folder.
public sealed partial class G2pModel
{
    /// <summary>Folder of the run's checkpoints (last, previous, best) inside the model folder, its per-step log, and
    /// the test scores.</summary>
    public const string CheckpointFolder = "checkpoints", MetricsFile = "metrics.jsonl", ResultsFile = "results.json";

    /// <summary>What the Trainer reported (steps, the best greedy dev WER); null for a loaded model.</summary>
    public TrainingResult? Training { get; private set; }

    /// <summary>The test part's scores <see cref="Train"/> measured with the recipe's beam (as in results.json); null
    /// for a loaded model, or when the split has no test words.</summary>
    public G2pScore? TestScore { get; private set; }

    /// <summary>
    /// Trains the grapheme-to-phoneme encoder-decoder and writes its folder: vocabularies from the training words,
    /// AdamW (β 0.9 / 0.98) with warm-up and cosine decay, label-smoothed cross-entropy with teacher forcing, greedy WER
    /// on a dev sample after each epoch to keep the best checkpoint, resumable from the last checkpoint, data-parallel
    /// replicas when the recipe asks for them. The folder ends up holding the best model (see <see cref="Load"/>),
    /// trainer_state.json, checkpoints/, metrics.jsonl and results.json (the test part decoded with the recipe's beam).
    /// Same data, recipe, seed and thread count: bit-identical weights and scores.
    /// </summary>
    /// <exception cref="DataFormatException">an entry does not fit the recipe's max_len, or holds control characters.</exception>
    /// <exception cref="ArgumentException">no training words, or a resume the folder cannot give (<see cref="CheckResumable"/>).</exception>
    public static G2pModel Train(G2pOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        var (recipe, split, dir) = (options.Recipe, options.Data, options.OutputDir);
        var log = options.Log ?? (_ => { });
        if (split.Train.Count == 0) throw new ArgumentException("G2P: the training part holds no words");
        G2pData.CheckEntries([.. split.Train, .. split.Dev, .. split.Test], recipe.MaxLen);
        var checkpoints = Path.Combine(dir, CheckpointFolder);
        foreach (var folder in new[] { dir, checkpoints })
            foreach (var stale in AtomicFile.RemoveStale(folder))
                log($"warning: removed {Path.Combine(folder, stale)}, left by a save that never finished");
        if (options.Resume) CheckResumable(recipe, dir);
        var (graphemes, phonemes) = options.Resume ? LoadVocabularies(dir) : G2pData.BuildVocabularies(split.Train);

        // 1. The network and the batches: lengths bucketed, each batch dealt into one micro-batch per replica.
        int concurrent = recipe.ConcurrentReplicas(Threads.Count);
        Generator.ManualSeed(recipe.Seed);
        var model = new G2pModel(recipe, graphemes, phonemes);
        var examples = G2pData.Examples(model, split.Train);
        int microBatch = recipe.BatchSize / recipe.Replicas;
        var loader = G2pData.Loader(examples, recipe.BatchSize, recipe.Seed, recipe.Replicas);
        long stepsPerEpoch = (examples.Length + recipe.BatchSize - 1) / recipe.BatchSize;
        long totalSteps = Math.Min(recipe.MaxSteps ?? long.MaxValue, stepsPerEpoch * recipe.Epochs);
        // Until training ends and the final weights are saved, the folder says its model.safetensors is not the result
        // (a resumed run says so once it has a checkpoint to continue from, so a failed resume leaves the folder as it was).
        if (!options.Resume)
        {
            Directory.CreateDirectory(dir);
            new TrainerState(false, 0, totalSteps).Save(dir);
            model.Save(dir);   // recipe and vocabularies first, so a resumed run finds them
        }
        long parameters = model.Network.Parameters().Sum(p => (long)p.NumEl);
        log($"model: {recipe.NumEncoderLayers}+{recipe.NumDecoderLayers} layers × {recipe.DModel}, {recipe.NumHeads} heads, " +
            $"{parameters:N0} parameters; {examples.Length:N0} pronunciations, ~{stepsPerEpoch:N0} steps per epoch, {totalSteps:N0} steps");

        // 2. Training, keeping the epoch of the best greedy WER on the dev sample.
        var optimizer = new AdamW(model.Network.Parameters(), recipe.LearningRate, 0.9, 0.98, 1e-9, recipe.WeightDecay);
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(recipe.WarmupSteps, totalSteps), totalSteps, DecayShape.Cosine, minFactor: 0.02);
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = recipe.Epochs, MaxSteps = recipe.MaxSteps, ClipGradNorm = recipe.ClipGradNorm, Seed = recipe.Seed,
            CheckpointDir = checkpoints, Resume = options.Resume, MetricsFile = Path.Combine(dir, MetricsFile),
            BestMetric = "dev_wer", GreaterIsBetter = false, CheckpointEvery = 500, EmaDecay = recipe.EmaDecay,
            GradientAccumulation = recipe.Replicas,
        });
        if (options.StepCompleted is { } step) trainer.StepCompleted += e => step(e, totalSteps);
        if (options.Evaluated is { } evaluated) trainer.Evaluated += evaluated;
        trainer.Warning += message => log("warning: " + message);
        trainer.Resumed += e =>
        {
            foreach (var refused in e.Refused) log($"warning: not resuming from {refused}");
            log($"resuming from {e.Path} (step {e.Step:N0}) with the recipe saved in {dir}");
            new TrainerState(false, e.Step, totalSteps).Save(dir);
        };
        var devSample = Sample(split.Dev, recipe.DevWords);
        using var parallel = concurrent > 1
            ? new DataParallel(model.Network, generator => new Seq2SeqTransformer(model.Network.Config, generator), concurrent)
            : null;
        if (parallel != null) log($"data parallel: {concurrent} replicas × {microBatch} pronunciations per step");
        BatchLoss Loss(Seq2SeqTransformer network, G2pBatch batch) =>
            new(network.Loss(batch.Source, batch.TargetIn, batch.TargetOut, recipe.LabelSmoothing), batch.TargetTokens);
        Dictionary<string, double> Evaluate()
        {
            var score = G2pEvaluation.Score(model, devSample, beamWidth: 1);
            return new Dictionary<string, double> { ["dev_wer"] = score.WordErrorRate, ["dev_per"] = score.PhonemeErrorRate };
        }
        var result = parallel != null
            ? trainer.Fit(parallel, optimizer, scheduler, loader.Epoch, (network, batch) => Loss((Seq2SeqTransformer)network, batch), Evaluate)
            : trainer.Fit(model.Network, optimizer, scheduler, loader.Epoch, batch => Loss(model.Network, batch), Evaluate);
        if (result.BestCheckpoint is { } best) Checkpoint.Load(best, model.Network, null, null);
        model.Network.Eval();
        model.Save(dir);
        new TrainerState(true, result.Steps, totalSteps).Save(dir);
        model.Training = result;

        // 3. The test part by beam search, into results.json.
        if (split.Test.Count > 0)
        {
            StoragePool.ReturnIdleMemory();   // the training steps' buffers: decoding needs other shapes
            var decoding = Stopwatch.StartNew();
            model.TestScore = G2pEvaluation.Score(model, split.Test, recipe.BeamWidth);
            log($"test: {split.Test.Count:N0} words decoded by beam {recipe.BeamWidth} in {decoding.Elapsed.TotalSeconds:F0} s");
            var json = JsonSerializer.Serialize(new
            {
                preset = recipe.Preset, test_words = model.TestScore.Words, beam_width = recipe.BeamWidth, wer = model.TestScore.WordErrorRate,
                per = model.TestScore.PhonemeErrorRate, wall_seconds = clock.Elapsed.TotalSeconds, threads = Threads.Count,
            }, new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.WriteAllText(Path.Combine(dir, ResultsFile), json);
        }
        return model;
    }

    /// <summary>Refuses to resume the run in <paramref name="dir"/> with <paramref name="recipe"/> when it has no
    /// checkpoint, or when the recipe changes what the run was: its network, its replicas (they decide the batches) or
    /// its moving average. Only the schedule's length (epochs, max_steps) may change.</summary>
    /// <exception cref="ArgumentException">what stands in the way, naming the folder.</exception>
    public static void CheckResumable(G2pRecipe recipe, string dir)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        if (!HasCheckpoint(dir))
            throw new ArgumentException($"there is no checkpoint to resume from in {Path.Combine(dir, CheckpointFolder)} (no last, previous or best.safetensors)");
        var saved = G2pRecipe.Load(Path.Combine(dir, RecipeFile));
        if (saved.ModelConfig(1, 1) != recipe.ModelConfig(1, 1))
            throw new ArgumentException($"the recipe's network differs from the one saved in {dir}; only the schedule (epochs, max_steps) may change");
        if (saved.Replicas != recipe.Replicas)
            throw new ArgumentException($"replicas {recipe.Replicas} differs from the {saved.Replicas} the run in {dir} was started with (it decides the batches)");
        if (saved.EmaDecay != recipe.EmaDecay)
            throw new ArgumentException($"ema_decay {Show(recipe.EmaDecay)} differs from the {Show(saved.EmaDecay)} the run in {dir} was started with");
    }

    /// <summary>Whether <paramref name="dir"/> holds a training run to resume: a last, previous or best checkpoint.</summary>
    public static bool HasCheckpoint(string dir) =>
        new[] { "last", "previous", "best" }.Any(n => File.Exists(Path.Combine(dir, CheckpointFolder, n + ".safetensors")));

    static string Show(double? decay) => decay?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";

    /// <summary>Every k-th entry, so a sample of a sorted list spans the alphabet.</summary>
    public static IReadOnlyList<PronunciationEntry> Sample(IReadOnlyList<PronunciationEntry> entries, int count)
    {
        if (count <= 0 || count >= entries.Count) return entries;
        double stride = (double)entries.Count / count;
        return [.. Enumerable.Range(0, count).Select(i => entries[(int)(i * stride)])];
    }
}
