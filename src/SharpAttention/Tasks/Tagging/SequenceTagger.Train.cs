using System.Diagnostics;
using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Tagging;

// Training: reader output → tokenizer over words + character vocabulary → TokenTagger → Trainer → metrics → model folder.
public sealed partial class SequenceTagger
{
    /// <summary>Folder of the run's checkpoints (last, best) inside the model folder, and its per-step log.</summary>
    public const string CheckpointFolder = "checkpoints", MetricsFile = "metrics.jsonl";

    /// <summary>The scores <see cref="Train"/> measured on the validation and test parts ("valid", "test"), as written
    /// to results.json; empty for a loaded tagger.</summary>
    public IReadOnlyDictionary<string, TaggingMetrics> Scores { get; private set; } = new Dictionary<string, TaggingMetrics>();

    /// <summary>What the Trainer reported: steps, epochs, the best validation accuracy.</summary>
    public TrainingResult? Training { get; private set; }

    /// <summary>
    /// Trains a tagger on <see cref="SequenceTaggerOptions.Data"/> and writes its folder: the data is checked
    /// (<see cref="TaggingData.Check"/>), the tokenizer (a byte-level BPE, or a word vocabulary) is built from the
    /// training words, config.json and the tokenizer are written first (so <see cref="SequenceTaggerOptions.Resume"/>
    /// finds them), the tagger is trained with AdamW under a warm-up + cosine schedule (with validation data, the epoch
    /// of the best validation accuracy is kept), and results.json gets the metrics on the validation and test parts,
    /// unseen-word accuracy measured against the training words.
    /// </summary>
    public static SequenceTagger Train(SequenceTaggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = options.Data;
        TaggingData.Check(data);
        var log = options.Log ?? (_ => { });
        var clock = Stopwatch.StartNew();
        string dir = options.OutputDir;
        Directory.CreateDirectory(dir);

        // 1. Tokenizer, characters and network shape: new ones, or (resuming) those the run saved, for the same tags.
        var tags = TaggingData.Tags(data.Train);
        long words = data.Train.Sum(s => (long)s.Count);
        var trainingWords = data.Train.SelectMany(s => s.Words).ToHashSet(StringComparer.Ordinal);
        EncoderConfig config;
        TaggerSettings settings;
        if (options.Resume)
        {
            var checkpoint = Path.Combine(dir, CheckpointFolder, "last.safetensors");
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"resume: no checkpoint at {checkpoint}", checkpoint);
            (config, settings) = TaggerFolder.ReadConfig(dir);
            if (!settings.Tags.SequenceEqual(tags))
                throw new DataFormatException(Path.Combine(dir, TaggerFolder.ConfigFile), null,
                    $"the run was trained on {settings.Tags.Count} tags; the training data now has {tags.Length}: resume with the same data");
            log($"resuming the run in {dir} with its tokenizer and config.json");
        }
        else
        {
            var scheme = TagSchemes.Detect(tags);
            bool byWord = options.Tokenizer == TokenizerKind.Word;
            if (!byWord && options.Tokenizer != TokenizerKind.Bpe)
                throw new ArgumentException($"sequence tagger: tokenizer {options.Tokenizer} is not supported; use Bpe or Word");
            log($"{data.Train.Count:N0} training sentences, {words:N0} words, {tags.Length} tags (scheme {scheme}); " +
                (byWord ? $"a word vocabulary of at most {options.VocabSize:N0} (seen ≥ {options.MinWordFrequency}×)" : $"training a BPE of {options.VocabSize} tokens"));
            var trained = data.Train.SelectMany(s => s.Words);
            int vocabSize = byWord
                ? TaskTokenizer.TrainWordLevel(trained, options.VocabSize, options.MinWordFrequency, options.MaxLength, dir).VocabSize
                : TaskTokenizer.TrainBpe(trained, options.VocabSize, options.MaxLength, dir).VocabSize;
            char[] chars = options.CharDim > 0 ? WordAlignment.Characters(trainingWords) : [];
            settings = new TaggerSettings(tags, scheme, options.ConstrainedDecoding, options.MaxLength, chars, options.CharDim, byWord ? 1 : 8, 20);
            config = options.Encoder(vocabSize) with { VocabSize = vocabSize, MaxLen = options.MaxLength };
        }
        var tokenizer = Tokenizers.Load(dir);
        var specials = TaskTokenizer.Specials.Resolve(tokenizer);
        config = config with { PadId = specials.Pad };
        if (!options.Resume)
        {
            TaggerFolder.WriteConfig(dir, config, settings);
            TaggerFolder.WriteTrainingWords(dir, trainingWords);
        }

        // 2. Model; every training sentence aligned once; batches of similar length pad to their own longest row.
        var generator = new Generator(options.Seed);   // initialisation, then dropout: checkpointed for resuming
        var model = new TokenTagger(config, tags.Length, generator, settings.CharDim > 0 ? settings.CharVocabulary.Count + CharWordEncoder.EowId + 1 : null, settings.CharDim);
        var tagger = new SequenceTagger(model, tokenizer, specials, settings);
        var tagIndex = tags.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        var rows = new List<AlignedRow>();
        var labels = new List<long[]>();
        foreach (var s in data.Train)
        {
            var ids = s.Tags.Select(t => tagIndex[t]).ToArray();
            foreach (var row in tagger.Alignment.Encode(s.Words, options.MaxLength))
            {
                rows.Add(row);
                labels.Add(row.Labels(ids));
            }
        }
        var sampler = new BucketBatchSampler([.. rows.Select(r => r.Ids.Length)], options.BatchSize, options.Seed);
        long stepsPerEpoch = sampler.Batches(0).LongCount();
        long totalSteps = Math.Min(options.MaxSteps ?? long.MaxValue, stepsPerEpoch * options.Epochs);
        long parameters = model.Parameters().Sum(p => (long)p.NumEl);
        log($"model: {config.NumLayers} layers × {config.DModel}, {config.NumHeads} heads, {config.Positions.ToString().ToLowerInvariant()} positions, " +
            $"{parameters:N0} parameters; {rows.Count:N0} rows, {rows.Sum(r => (long)r.Ids.Length):N0} tokens, {stepsPerEpoch:N0} steps per epoch, {totalSteps:N0} steps");

        // 3. Training, selecting on the validation part when there is one. The schedule spans the epochs; max_steps only
        // stops early, so a run stopped there and resumed with a higher limit ends where an uninterrupted run ends.
        var optimizer = new AdamW(model.Parameters(), lr: options.LearningRate, weightDecay: options.WeightDecay);
        long scheduleSteps = stepsPerEpoch * options.Epochs;
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(options.WarmupSteps, scheduleSteps), scheduleSteps, DecayShape.Cosine, minFactor: 0.02);
        string checkpoints = Path.Combine(dir, CheckpointFolder);
        bool validate = data.Valid.Count > 0;
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.Epochs, MaxSteps = options.MaxSteps, Seed = options.Seed, ClipGradNorm = options.ClipGradNorm,
            CheckpointDir = checkpoints, CheckpointEvery = options.CheckpointEvery,
            ResumeFrom = options.Resume ? Path.Combine(checkpoints, "last.safetensors") : null,
            MetricsFile = Path.Combine(dir, MetricsFile), BestMetric = "valid_accuracy", GreaterIsBetter = true,
        });
        int epochNow = 0;
        trainer.EpochStarted += epoch =>
        {
            epochNow = epoch;
            log($"epoch {epoch + 1}/{options.Epochs} ({clock.Elapsed.TotalSeconds:F0} s)");
        };
        if (options.StepCompleted is { } step) trainer.StepCompleted += e => step(e, totalSteps);
        if (options.Evaluated is { } evaluated) trainer.Evaluated += evaluated;
        var dropout = new WordDropout(options.WordDropout, specials.Unk!.Value, options.Seed);
        model.Train();
        var result = trainer.Fit(model, optimizer, scheduler, epoch => sampler.Batches(epoch), batch =>
            {
                var picked = batch.Select(i => dropout.Apply(rows[i], i, epochNow)).ToArray();
                var (ids, mask, charIds, y) = tagger.Batch(picked, [.. batch.Select(i => labels[i])]);
                return new BatchLoss(model.Loss(ids, y!, mask, chars: charIds), picked.Sum(r => (long)r.WordCount));
            },
            validate ? () => new Dictionary<string, double> { ["valid_accuracy"] = tagger.Evaluate(data.Valid).Accuracy } : null,
            new Dictionary<string, Generator> { ["model"] = generator });
        if (validate && result.BestCheckpoint is { } best) Checkpoint.Load(best, model, null, null);
        model.Eval();
        double trainSeconds = clock.Elapsed.TotalSeconds;

        // 4. The folder: weights, results.
        model.SaveSafetensors(Path.Combine(dir, TaggerFolder.WeightsFile), new Dictionary<string, string> { ["task"] = "tag" });
        var results = new JsonObject
        {
            ["train_seconds"] = Math.Round(trainSeconds, 1), ["steps"] = result.Steps, ["epochs"] = result.Epochs,
            ["steps_per_second"] = Math.Round(result.Steps / Math.Max(trainSeconds, 1e-9), 3),
            ["train_sentences"] = data.Train.Count, ["train_words"] = words, ["threads"] = Threads.Count, ["parameters"] = parameters,
        };
        if (result.BestMetric is double bestAccuracy && validate) results["best_valid_accuracy"] = bestAccuracy;
        var scores = new Dictionary<string, TaggingMetrics>();
        foreach (var (part, name) in new[] { (data.Valid, "valid"), (data.Test, "test") })
        {
            if (part.Count == 0) continue;
            var metrics = tagger.Evaluate(part, trainingWords);
            scores[name] = metrics;
            results[name] = metrics.ToJson();
            log($"{name}: {metrics.Summary()}");
        }
        ModelConfigJson.Write(Path.Combine(dir, TaggerFolder.ResultsFile), results);
        tagger.Scores = scores;
        tagger.Training = result;
        return tagger;
    }
}
