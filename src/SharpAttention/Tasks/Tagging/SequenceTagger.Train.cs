using System.Diagnostics;
using System.Text.Json.Nodes;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Tagging;

// Training: reader output → BPE over words + character vocabulary → TokenTagger → Trainer → metrics → model folder.
public sealed partial class SequenceTagger
{
    /// <summary>
    /// Trains a tagger on <see cref="SequenceTaggerOptions.Data"/> and writes its folder: the data is checked
    /// (<see cref="TaggingData.Check"/>), a byte-level BPE is trained on the training words (one word per text, as they
    /// are tokenized later), the tagger is trained with AdamW (with validation data, the epoch of the best validation
    /// accuracy is kept), and results.json gets the metrics on the validation and test parts, unseen-word accuracy
    /// measured against the training words.
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

        // 1. Tokenizer and characters from the training words.
        var tags = TaggingData.Tags(data.Train);
        var scheme = TagSchemes.Detect(tags);
        long words = data.Train.Sum(s => (long)s.Count);
        log($"{data.Train.Count} training sentences, {words} words, {tags.Length} tags (scheme {scheme}); training a BPE of {options.VocabSize} tokens");
        var (tokenizer, specials, vocabSize) = TaskTokenizer.TrainBpe(data.Train.SelectMany(s => s.Words), options.VocabSize, options.MaxLength, dir);
        var trainingWords = data.Train.SelectMany(s => s.Words).ToHashSet(StringComparer.Ordinal);
        char[] chars = options.CharDim > 0 ? WordAlignment.Characters(trainingWords) : [];
        var settings = new TaggerSettings(tags, scheme, options.ConstrainedDecoding, options.MaxLength, chars, options.CharDim, 8, 20);

        // 2. Model.
        var config = options.Encoder(vocabSize) with { VocabSize = vocabSize, PadId = specials.Pad, MaxLen = options.MaxLength };
        var generator = new Generator(options.Seed);   // initialisation, then dropout: checkpointed for resuming
        var model = new TokenTagger(config, tags.Length, generator, options.CharDim > 0 ? chars.Length + CharWordEncoder.EowId + 1 : null, options.CharDim);
        var tagger = new SequenceTagger(model, tokenizer, specials, settings);

        // 3. Every training sentence aligned once; batches of similar length pad to their own longest row.
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
        log($"{rows.Count} rows, {rows.Sum(r => (long)r.Ids.Length)} tokens ({clock.Elapsed.TotalSeconds:F0} s)");
        var sampler = new BucketBatchSampler([.. rows.Select(r => r.Ids.Length)], options.BatchSize, options.Seed);
        bool validate = data.Valid.Count > 0;
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.Epochs, MaxSteps = options.MaxSteps, Seed = options.Seed, LogEvery = 200,
            CheckpointDir = Path.Combine(dir, "checkpoints"), BestMetric = validate ? "accuracy" : "loss", GreaterIsBetter = validate,
        });
        trainer.EpochStarted += epoch => log($"epoch {epoch + 1}/{options.Epochs} ({clock.Elapsed.TotalSeconds:F0} s)");
        trainer.StepCompleted += step => log($"step {step.Step}: loss {step.Loss:F4} ({clock.Elapsed.TotalSeconds:F0} s)");
        trainer.Evaluated += e => log($"validation: {string.Join(", ", e.Metrics.Select(m => $"{m.Key} {m.Value:F4}"))}");
        model.Train();
        var result = trainer.Fit(model, new AdamW(model.Parameters(), lr: options.LearningRate, weightDecay: options.WeightDecay), null,
            epoch => sampler.Batches(epoch), batch =>
            {
                var (ids, mask, charIds, y) = tagger.Batch([.. batch.Select(i => rows[i])], [.. batch.Select(i => labels[i])]);
                return new BatchLoss(model.Loss(ids, y!, mask, chars: charIds), batch.Length);
            },
            validate ? () => new Dictionary<string, double> { ["accuracy"] = tagger.Evaluate(data.Valid).Accuracy } : null,
            new Dictionary<string, Generator> { ["model"] = generator });
        if (validate && result.BestCheckpoint is { } best) Checkpoint.Load(best, model, null, null);
        model.Eval();

        // 4. The folder: weights, config, results.
        model.SaveSafetensors(Path.Combine(dir, TaggerFolder.WeightsFile));
        TaggerFolder.WriteConfig(dir, config, settings);
        var results = new JsonObject
        {
            ["train_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1), ["epochs"] = options.Epochs,
            ["steps"] = result.Steps, ["train_sentences"] = data.Train.Count, ["train_words"] = words,
        };
        foreach (var (part, name) in new[] { (data.Valid, "valid"), (data.Test, "test") })
        {
            if (part.Count == 0) continue;
            var metrics = tagger.Evaluate(part, trainingWords);
            results[name] = metrics.ToJson();
            log($"{name}: {metrics.Summary()}");
        }
        ModelConfigJson.Write(Path.Combine(dir, TaggerFolder.ResultsFile), results);
        return tagger;
    }
}
