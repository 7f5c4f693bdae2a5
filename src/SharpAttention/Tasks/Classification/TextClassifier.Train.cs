using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.Autograd;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

// Training: reader output → BPE tokenizer → EncoderClassifier → Trainer → metrics → model folder.
public sealed partial class TextClassifier
{
    /// <summary>RoBERTa's special tokens: &lt;s&gt; opens (cls) and &lt;/s&gt; closes (sep) every text.</summary>
    static readonly SpecialTokens Specials = new() { Bos = "<s>", Pad = "<pad>", Eos = "</s>", Unk = "<unk>", Cls = "<s>", Sep = "</s>" };

    /// <summary>
    /// Trains a classifier on <see cref="TextClassifierOptions.Data"/> and writes its folder: the data is checked
    /// (<see cref="ClassificationData.Check"/>), a byte-level BPE is trained on the training texts, the encoder is
    /// trained with AdamW for the given epochs, and results.json gets the metrics on the validation and test parts.
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

        // 1. Tokenizer: BPE on the training texts, written into the folder and read back as any folder would be.
        var labels = ClassificationData.Labels(data.Train);
        log($"{data.Train.Count} training texts, classes {string.Join(", ", labels)}; training a BPE of {options.VocabSize} tokens");
        var bpe = new BpeTrainer(new BpeTrainerOptions { VocabSize = options.VocabSize, SpecialTokens = Specials.Distinct() })
            .Train(data.Train.Select(e => e.Text));
        bpe.Save(dir);
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile),
            new TokenizerConfig { Kind = TokenizerKind.Bpe, SpecialTokens = Specials, ModelMaxLength = options.MaxLength }.ToJson());
        var tokenizer = Tokenizers.Load(dir);
        var specials = Specials.Resolve(tokenizer);

        // 2. Model.
        var config = options.Encoder(bpe.Vocabulary.Count) with
        {
            VocabSize = bpe.Vocabulary.Count, PadId = specials.Pad, MaxLen = options.MaxLength, Pooling = options.Pooling,
        };
        var model = new EncoderClassifier(config, labels.Length, new Generator(options.Seed));
        var classifier = new TextClassifier(model, tokenizer, specials, labels, options.MaxLength, options.Truncation);

        // 3. Every training text encoded once; batches pad to their own longest row.
        var index = ClassificationData.Index(labels);
        var rows = classifier.EncodeRows(data.Train.Select(e => e.Text).ToArray());
        var targets = data.Train.Select(e => (long)index[e.Label]).ToArray();
        var weights = options.BalanceClasses ? ClassWeights.Balanced(ClassificationData.Counts(data.Train, labels)) : null;
        var sampler = new BatchSampler(rows.Length, options.BatchSize, shuffle: true, seed: options.Seed);
        var trainer = new Trainer(new TrainerOptions { Epochs = options.Epochs, Seed = options.Seed, LogEvery = int.MaxValue });
        trainer.EpochStarted += epoch => log($"epoch {epoch + 1}/{options.Epochs} ({clock.Elapsed.TotalSeconds:F0} s)");
        model.Train();
        trainer.Fit(model, new AdamW(model.Parameters(), lr: options.LearningRate, weightDecay: options.WeightDecay), null,
            epoch => sampler.Batches(epoch), batch =>
            {
                var padded = Padding.PadSequences([.. batch.Select(i => rows[i])], specials.Pad!.Value);
                var y = Tensor.FromArray(batch.Select(i => targets[i]).ToArray(), batch.Length);
                return new BatchLoss(model.Loss(padded.Ids, y, padded.PaddingMask, classWeights: weights), batch.Length);
            });
        model.Eval();

        // 4. The folder: weights, config, results.
        model.SaveSafetensors(Path.Combine(dir, ClassifierFolder.WeightsFile));
        ClassifierFolder.WriteConfig(dir, config, labels, options.MaxLength, options.Truncation);
        var results = new JsonObject { ["train_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1), ["epochs"] = options.Epochs, ["train_count"] = data.Train.Count };
        foreach (var (part, name) in new[] { (data.Valid, "valid"), (data.Test, "test") })
        {
            if (part.Count == 0) continue;
            var metrics = classifier.Evaluate(part);
            results[name] = metrics.ToJson(labels);
            log($"{name}: accuracy {metrics.Accuracy:P2}, macro F1 {metrics.MacroF1:F4}\n{metrics.ConfusionTable(labels)}");
        }
        File.WriteAllText(Path.Combine(dir, ClassifierFolder.ResultsFile), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return classifier;
    }

    /// <summary>Each text's token ids, wrapped and truncated as the classifier encodes them, without padding.</summary>
    int[][] EncodeRows(IReadOnlyList<string> texts)
    {
        var rows = new List<int[]>(texts.Count);
        using var _ = GradMode.NoGrad();
        for (int at = 0; at < texts.Count; at += 256)
        {
            var batch = Encode(texts.Skip(at).Take(256).ToArray());
            var ids = batch.InputIds.ToInt64Array();
            int t = batch.InputIds.Size(1);
            for (int b = 0; b < batch.Lengths.Count; b++)
                rows.Add([.. ids.AsSpan(b * t, batch.Lengths[b]).ToArray().Select(v => (int)v)]);
        }
        return [.. rows];
    }
}
