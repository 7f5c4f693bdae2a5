using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

// Training: reader output → BPE tokenizer → EncoderClassifier → Trainer → metrics → model folder.
public sealed partial class TextClassifier
{
    /// <summary>Folder of the run's checkpoints (last, best) inside the model folder, and its per-step log.</summary>
    public const string CheckpointFolder = "checkpoints", MetricsFile = "metrics.jsonl";

    /// <summary>Where <see cref="TextClassifierOptions.TuneThreshold"/>'s first model is trained (removed when done).</summary>
    public const string ThresholdRunFolder = "threshold-run";

    /// <summary>The scores <see cref="Train"/> measured on the validation and test parts ("valid", "test"), as written
    /// to results.json; empty for a loaded classifier.</summary>
    public IReadOnlyDictionary<string, ClassificationMetrics> Scores { get; private set; } = new Dictionary<string, ClassificationMetrics>();

    /// <summary>What the Trainer reported: steps, epochs, the best validation score.</summary>
    public TrainingResult? Training { get; private set; }

    /// <summary>
    /// Trains a classifier on <see cref="TextClassifierOptions.Data"/> and writes its folder: the data is checked
    /// (<see cref="ClassificationData.Check"/>), a byte-level BPE is trained on the training texts, config.json and
    /// the tokenizer are written first (so <see cref="TextClassifierOptions.Resume"/> finds them), the encoder is
    /// trained with AdamW under a warm-up + cosine schedule, keeping the checkpoint with the best validation macro F1
    /// when there is a validation part, the decision threshold is chosen (<see cref="TextClassifierOptions.TuneThreshold"/>),
    /// and results.json gets the metrics on the validation and test parts.
    /// </summary>
    public static TextClassifier Train(TextClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = options.Data;
        ClassificationData.Check(data);
        var log = options.Log ?? (_ => { });
        var clock = Stopwatch.StartNew();
        string dir = options.OutputDir;
        Directory.CreateDirectory(dir);
        var labels = ClassificationData.Labels(data.Train);
        CheckThresholdOptions(options, labels);
        var crop = options.RandomCrop == 0 ? null : new RandomCrop(options.RandomCrop, options.RandomCropMinTokens, options.MaxLength, options.Seed);
        CheckPretrainOptions(options);
        if (options.EnsembleFolds != 1) return TrainEnsemble(options, labels, log);
        double? threshold = options.DecisionThreshold;
        JsonObject? tuning = null;
        PretrainedEncoder? pretrained = null;

        // 1. Tokenizer and network shape: new ones, or (resuming) those the run saved, for the same labels.
        EncoderConfig config;
        if (options.Resume)
        {
            var checkpoint = Path.Combine(dir, CheckpointFolder, "last.safetensors");
            if (!File.Exists(checkpoint))
                throw new FileNotFoundException($"resume: no checkpoint at {checkpoint}" + (options.PretrainEpochs > 0
                    ? " (a run stopped before fine-tuning began, during pre-training or the threshold's first model, starts again without resuming)" : ""), checkpoint);
            string[] saved;
            double? savedThreshold;
            (config, saved, _, _, savedThreshold) = ClassifierFolder.ReadConfig(dir);
            if (options.TuneThreshold && data.Valid.Count == 0) threshold = savedThreshold;   // found before the run began
            if (!saved.SequenceEqual(labels))
                throw new DataFormatException(Path.Combine(dir, ClassifierFolder.ConfigFile), null,
                    $"the run was trained on labels {string.Join(", ", saved)}; the training data now has {string.Join(", ", labels)}");
            log($"resuming the run in {dir} with its tokenizer and config.json");
        }
        else
        {
            // Pre-training comes first, so that the holdout's first model starts from the same encoder as the refit.
            pretrained = options.Pretrained ?? (options.PretrainEpochs > 0 ? Pretrain(options, log) : null);
            if (options.TuneThreshold && data.Valid.Count == 0) (threshold, tuning) = TuneOnHoldout(options with { Pretrained = pretrained }, log);
            int vocabSize;
            if (pretrained != null) vocabSize = pretrained.CopyTokenizerTo(dir);
            else
            {
                log($"{data.Train.Count} training texts, classes {string.Join(", ", labels)}; training a BPE of {options.VocabSize} tokens");
                vocabSize = TaskTokenizer.TrainBpe(data.Train.Select(e => e.Text), options.VocabSize, options.MaxLength, dir).VocabSize;
            }
            config = options.Encoder(vocabSize) with { VocabSize = vocabSize, MaxLen = options.MaxLength, Pooling = options.Pooling };
        }
        var tokenizer = Tokenizers.Load(dir);
        var specials = TaskTokenizer.Specials.Resolve(tokenizer);
        config = config with { PadId = specials.Pad };
        if (!options.Resume) ClassifierFolder.WriteConfig(dir, config, labels, options.MaxLength, options.Truncation, threshold);

        // 2. Model; every training text encoded once; batches of similar length, padded to their own longest row.
        var generator = new Generator(options.Seed);   // initialisation, then dropout: checkpointed for resuming
        var model = new EncoderClassifier(config, labels.Length, generator);
        if (pretrained != null) model.Backbone.LoadSafetensors(pretrained.Weights);
        var classifier = new TextClassifier(model, tokenizer, specials, labels, options.MaxLength, options.Truncation, null);
        var index = ClassificationData.Index(labels);
        var texts = data.Train.Select(e => e.Text).ToArray();
        var rows = classifier.EncodeRows(texts);
        // Windows come from each text's whole tokenisation, so one may come from the middle of a long mail.
        var full = crop is null ? null : classifier.EncodeRows(texts, truncate: false);
        var targets = data.Train.Select(e => (long)index[e.Label]).ToArray();
        var weights = options.BalanceClasses ? ClassWeights.Balanced(ClassificationData.Counts(data.Train, labels)) : null;
        var sampler = new BucketBatchSampler([.. rows.Select(r => r.Length)], options.BatchSize, options.Seed);
        long stepsPerEpoch = sampler.Batches(0).LongCount();
        long totalSteps = Math.Min(options.MaxSteps ?? long.MaxValue, stepsPerEpoch * options.Epochs);
        long parameters = model.Parameters().Sum(p => (long)p.NumEl);
        log($"model: {config.NumLayers} layers × {config.DModel}, {config.NumHeads} heads, {config.Pooling.ToString().ToLowerInvariant()} pooling, " +
            $"{parameters:N0} parameters; {rows.Sum(r => (long)r.Length):N0} tokens, {stepsPerEpoch:N0} steps per epoch, {totalSteps:N0} steps");
        if (crop != null) log($"random crop: each epoch {crop.Probability.ToString("P0", CultureInfo.InvariantCulture)} of the texts become windows of at least {crop.MinTokens} tokens");

        // 3. Training, selecting on the validation part when there is one.
        var optimizer = new AdamW(ParamGroup.DecayMatricesOnly(model.Parameters()), lr: options.LearningRate, weightDecay: options.WeightDecay);
        // The schedule spans the epochs; max_steps only stops early, so a run stopped there and resumed with a higher
        // limit ends where an uninterrupted run ends.
        long scheduleSteps = stepsPerEpoch * options.Epochs;
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(options.WarmupSteps, scheduleSteps), scheduleSteps, DecayShape.Cosine, minFactor: 0.02);
        string checkpoints = Path.Combine(dir, CheckpointFolder), last = Path.Combine(checkpoints, "last.safetensors");
        bool select = data.Valid.Count > 0 && options.SelectBestEpoch;
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.Epochs, MaxSteps = options.MaxSteps, Seed = options.Seed, ClipGradNorm = options.ClipGradNorm,
            CheckpointDir = checkpoints, CheckpointEvery = options.CheckpointEvery,
            ResumeFrom = options.Resume ? last : null, EarlyStoppingPatience = select ? options.EarlyStoppingPatience : null,
            MetricsFile = Path.Combine(dir, MetricsFile), BestMetric = "valid_macro_f1", GreaterIsBetter = true, EmaDecay = options.EmaDecay,
        });
        trainer.EpochStarted += epoch => log($"epoch {epoch + 1}/{options.Epochs} ({clock.Elapsed.TotalSeconds:F0} s)");
        if (options.StepCompleted is { } step) trainer.StepCompleted += e => step(e, totalSteps);
        if (options.Evaluated is { } evaluated) trainer.Evaluated += evaluated;
        IReadOnlyDictionary<string, double> Validate()
        {
            var m = classifier.Evaluate(data.Valid);
            return new Dictionary<string, double> { ["valid_accuracy"] = m.Accuracy, ["valid_macro_f1"] = m.MacroF1 };
        }
        model.Train();
        // An epoch's rows: the encoded ones, or (cropping) that epoch's windows, bucketed by their own lengths.
        IEnumerable<(int[] Batch, int[][] Rows)> Batches(int epoch)
        {
            var epochRows = crop?.Apply(full!, rows, epoch) ?? rows;
            var epochSampler = crop is null ? sampler : new BucketBatchSampler([.. epochRows.Select(r => r.Length)], options.BatchSize, options.Seed);
            return epochSampler.Batches(epoch).Select(batch => (batch, epochRows));
        }
        var result = trainer.Fit(model, optimizer, scheduler, Batches, part =>
            {
                var (batch, epochRows) = part;
                var padded = Padding.PadSequences([.. batch.Select(i => epochRows[i])], specials.Pad!.Value);
                var y = Tensor.FromArray(batch.Select(i => targets[i]).ToArray(), batch.Length);
                return new BatchLoss(model.Loss(padded.Ids, y, padded.PaddingMask, options.LabelSmoothing, weights), batch.Sum(i => (long)epochRows[i].Length));
            },
            select ? Validate : null, new Dictionary<string, Generator> { ["model"] = generator });
        // The best checkpoint holds the averaged weights when there is an average; without one, the last checkpoint does.
        if (result.BestCheckpoint is { } best) Checkpoint.Load(best, model, null, null);
        else if (options.EmaDecay != null) LoadAverage(model, last);
        model.Eval();
        double trainSeconds = clock.Elapsed.TotalSeconds;
        // Each part is scored once, by the arg-max; the threshold's decisions are derived from the same logits.
        var argmaxScores = new[] { (data.Valid, "valid"), (data.Test, "test") }.Where(p => p.Item1.Count > 0)
            .ToDictionary(p => p.Item2, p => classifier.Score(p.Item1));
        if (options.TuneThreshold && data.Valid.Count > 0)
        {
            threshold = ChooseThreshold(argmaxScores["valid"]);
            tuning = new JsonObject { ["from"] = "valid", ["count"] = data.Valid.Count };
            log($"decision threshold {threshold:G4} for {labels[1]}, chosen on the {data.Valid.Count} validation texts");
            ClassifierFolder.WriteConfig(dir, config, labels, options.MaxLength, options.Truncation, threshold);
        }
        classifier.Threshold = threshold;

        // 4. The folder: weights, results.
        model.SaveSafetensors(Path.Combine(dir, ClassifierFolder.WeightsFile), new Dictionary<string, string> { ["task"] = "classify" });
        var results = new JsonObject
        {
            ["train_seconds"] = Math.Round(trainSeconds, 1), ["steps"] = result.Steps, ["epochs"] = result.Epochs,
            ["steps_per_second"] = Math.Round(result.Steps / Math.Max(trainSeconds, 1e-9), 3), ["train_count"] = data.Train.Count,
            ["threads"] = Threads.Count, ["parameters"] = parameters,
        };
        if (result.BestMetric is double bestF1) results["best_valid_macro_f1"] = bestF1;
        if (threshold is double chosen) results["decision_threshold"] = chosen;
        if (tuning != null) results["threshold_tuning"] = tuning;
        var scores = new Dictionary<string, ClassificationMetrics>();
        foreach (var (name, argmax) in argmaxScores)
        {
            var metrics = threshold != null ? argmax.Decided(classifier.Margin) : argmax;
            scores[name] = metrics;
            results[name] = metrics.ToJson(labels);
            log($"{name}: accuracy {metrics.Accuracy.ToString("P2", CultureInfo.InvariantCulture)}, macro F1 {metrics.MacroF1:F4}");
            // What the threshold changed: the same texts decided by the arg-max.
            if (threshold != null) results[name + "_argmax"] = argmax.ToJson(labels);
        }
        AtomicFile.WriteAllText(Path.Combine(dir, ClassifierFolder.ResultsFile), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        classifier.Scores = scores;
        classifier.Training = result;
        return classifier;
    }

    /// <summary>Puts the weight average the Trainer keeps in a checkpoint (under <c>ema.module.{name}</c>) into the model.</summary>
    static void LoadAverage(EncoderClassifier model, string checkpoint)
    {
        var average = Checkpoint.LoadExtraTensors(checkpoint, "ema.module.");
        foreach (var (name, p) in model.NamedParameters())
            p.Detach().CopyFrom_(average.TryGetValue(name, out var a) ? a : throw new InvalidDataException($"{checkpoint}: no average of '{name}'"));
    }

    /// <summary>Each text's token ids, wrapped and truncated as the classifier encodes them (or, without
    /// <paramref name="truncate"/>, whole), without padding.</summary>
    int[][] EncodeRows(IReadOnlyList<string> texts, bool truncate = true) =>
        EncodeRows(Tokenizer, specials, truncate ? encoding : encoding with { MaxLength = null }, texts);

    static int[][] EncodeRows(Microsoft.ML.Tokenizers.Tokenizer tokenizer, SpecialTokenIds specials, BatchEncodingOptions encoding, IReadOnlyList<string> texts)
    {
        var rows = new List<int[]>(texts.Count);
        using var _ = GradMode.NoGrad();
        for (int at = 0; at < texts.Count; at += 256)
        {
            using var scope = TensorScope.Begin();
            var batch = BatchEncoding.Encode(tokenizer, texts.Skip(at).Take(256).ToArray(), specials, encoding);
            var ids = batch.InputIds.ToInt64Array();
            int t = batch.InputIds.Size(1);
            for (int b = 0; b < batch.Lengths.Count; b++)
                rows.Add([.. ids.AsSpan(b * t, batch.Lengths[b]).ToArray().Select(v => (int)v)]);
        }
        return [.. rows];
    }
}
