using SharpAttention.Data.Datasets;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Cli.G2p;

/// <summary>What a training run reports as it goes (the console shows it; tests collect it).</summary>
public interface ITrainingReporter
{
    void Info(string message);
    void Step(StepEvent e, long totalSteps);
    void Evaluated(EvaluationEvent e);
}

/// <summary>The outcome of <see cref="G2pTraining.Run"/>.</summary>
public sealed record G2pTrainingResult(G2pModel Model, PronunciationSplit Split, TrainingResult Training, string OutputFolder);

/// <summary>
/// Trains the grapheme-to-phoneme encoder-decoder: vocabularies from the training words, AdamW with warm-up and cosine
/// decay, label-smoothed cross-entropy with teacher forcing, greedy dev WER after each epoch to keep the best
/// checkpoint, resumable from the last checkpoint. The output folder ends up holding the best model (see
/// <see cref="G2pModel"/>), checkpoints/, metrics.jsonl and loss.png.
/// </summary>
public static class G2pTraining
{
    public const string CheckpointFolder = "checkpoints", MetricsFile = "metrics.jsonl", LossCurveFile = "loss.png";

    public static G2pTrainingResult Run(G2pRecipe recipe, string dictionaryPath, string outputFolder, bool resume, ITrainingReporter reporter)
    {
        var split = G2pData.LoadSplit(dictionaryPath, reporter.Info);
        G2pData.CheckEntries([.. split.Train, .. split.Dev, .. split.Test], dictionaryPath, recipe.MaxLen);
        reporter.Info($"cmudict: {split.Train.Count:N0} train / {split.Dev.Count:N0} dev / {split.Test.Count:N0} test words ({dictionaryPath})");
        var checkpoints = Path.Combine(outputFolder, CheckpointFolder);
        var last = Path.Combine(checkpoints, "last.safetensors");
        Vocabulary graphemes, phonemes;
        if (resume)
        {
            if (!File.Exists(last)) throw new CliException($"--resume: there is no checkpoint to resume from at {last}");
            var saved = G2pRecipe.FromJsonFile(Path.Combine(outputFolder, G2pModel.RecipeFile), G2pRecipe.SavedBase);
            if (saved.ModelConfig(1, 1) != recipe.ModelConfig(1, 1))
                throw new CliException($"--resume: the recipe's network differs from the one saved in {outputFolder}; only the schedule (epochs, max_steps) may change");
            if (saved.Replicas != recipe.Replicas)
                throw new CliException($"--resume: replicas {recipe.Replicas} differs from the {saved.Replicas} the run in {outputFolder} was started with (it decides the batches)");
            if (saved.EmaDecay != recipe.EmaDecay)
                throw new CliException($"--resume: ema_decay {Show(recipe.EmaDecay)} differs from the {Show(saved.EmaDecay)} the run in {outputFolder} was started with");
            (graphemes, phonemes) = G2pModel.LoadVocabularies(outputFolder);
            reporter.Info($"resuming from {last} with the recipe saved there");
        }
        else
        {
            if (File.Exists(last)) throw new CliException($"{outputFolder} already holds a training run: add --resume to continue it, or choose another --out");
            (graphemes, phonemes) = G2pData.BuildVocabularies(split.Train);
        }

        // One replica per core. Fewer cores than replicas take the micro-batches in turns; more cores than replicas
        // serve one model whose kernels use them all (set replicas to the core count to run them as replicas instead).
        int concurrent = Threads.Count <= recipe.Replicas ? Threads.Count : 1;
        G2pMemory.RequireTraining(recipe, graphemes.Count, phonemes.Count, split.Train.Max(e => e.Word.Length) + 1,
                                  split.Train.Max(e => e.Pronunciations.Max(p => p.Length)) + 1, concurrent);
        Generator.ManualSeed(recipe.Seed);
        var model = new G2pModel(recipe, graphemes, phonemes);
        if (!resume) model.Save(outputFolder);   // recipe and vocabularies first, so --resume finds them
        var examples = G2pData.Examples(model, split.Train);
        int microBatch = recipe.BatchSize / recipe.Replicas;
        var loader = G2pData.Loader(examples, recipe.BatchSize, recipe.Seed, recipe.Replicas);
        long stepsPerEpoch = (examples.Length + recipe.BatchSize - 1) / recipe.BatchSize;
        long totalSteps = Math.Min(recipe.MaxSteps ?? long.MaxValue, stepsPerEpoch * recipe.Epochs);
        long parameters = model.Network.Parameters().Sum(p => (long)p.NumEl);
        reporter.Info($"model: {recipe.NumEncoderLayers}+{recipe.NumDecoderLayers} layers × {recipe.DModel}, {recipe.NumHeads} heads, " +
                      $"{parameters:N0} parameters; {examples.Length:N0} pronunciations, ~{stepsPerEpoch:N0} steps per epoch, {totalSteps:N0} steps");

        var optimizer = new AdamW(model.Network.Parameters(), recipe.LearningRate, 0.9, 0.98, 1e-9, recipe.WeightDecay);
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(recipe.WarmupSteps, totalSteps), totalSteps, DecayShape.Cosine, minFactor: 0.02);
        var options = new TrainerOptions
        {
            Epochs = recipe.Epochs, MaxSteps = recipe.MaxSteps, ClipGradNorm = recipe.ClipGradNorm, Seed = recipe.Seed,
            CheckpointDir = checkpoints, ResumeFrom = resume ? last : null, MetricsFile = Path.Combine(outputFolder, MetricsFile),
            BestMetric = "dev_wer", GreaterIsBetter = false, CheckpointEvery = 500, EmaDecay = recipe.EmaDecay,
            GradientAccumulation = recipe.Replicas,
        };
        var trainer = new Trainer(options);
        trainer.StepCompleted += e => reporter.Step(e, totalSteps);
        trainer.Evaluated += reporter.Evaluated;
        var devSample = Sample(split.Dev, recipe.DevWords);
        using var parallel = concurrent > 1
            ? new DataParallel(model.Network, generator => new Seq2SeqTransformer(model.Network.Config, generator), concurrent)
            : null;
        if (parallel != null) reporter.Info($"data parallel: {concurrent} replicas × {microBatch} pronunciations per step");
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
        model.Save(outputFolder);
        LossCurve.Save(Path.Combine(outputFolder, MetricsFile), Path.Combine(outputFolder, LossCurveFile));
        return new G2pTrainingResult(model, split, result, outputFolder);
    }

    static string Show(double? decay) => decay?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none";

    /// <summary>Every k-th entry, so a sample of a sorted list spans the alphabet.</summary>
    public static IReadOnlyList<PronunciationEntry> Sample(IReadOnlyList<PronunciationEntry> entries, int count)
    {
        if (count <= 0 || count >= entries.Count) return entries;
        double stride = (double)entries.Count / count;
        return [.. Enumerable.Range(0, count).Select(i => entries[(int)(i * stride)])];
    }
}
