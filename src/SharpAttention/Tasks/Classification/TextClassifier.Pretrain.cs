using System.Diagnostics;
using SharpAttention.Data;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Training;

namespace SharpAttention.Tasks.Classification;

// Masked-language-model pre-training of the classifier's encoder on the training texts (BERT's objective; task-adaptive
// pre-training as in Gururangan et al. 2020 and Krishna et al. 2022), before fine-tuning.
public sealed partial class TextClassifier
{
    /// <summary>The encoder pre-training leaves in the model folder (the backbone's weights under their classifier names
    /// less "backbone."), and the per-step masked-LM losses.</summary>
    public const string PretrainedFile = "pretrained_encoder.safetensors", PretrainMetricsFile = "pretrain_metrics.jsonl";

    static void CheckPretrainOptions(TextClassifierOptions options)
    {
        if (options.PretrainEpochs < 0) throw new ArgumentException($"pretrain epochs {options.PretrainEpochs} must be 0 (none) or more");
        if (!(options.MlmProbability > 0 && options.MlmProbability < 1))
            throw new ArgumentException($"mlm probability {options.MlmProbability} must be a share strictly between 0 and 1");
        if (options.PretrainLearningRate is double lr && !(lr > 0 && double.IsFinite(lr)))
            throw new ArgumentException($"pretrain learning rate {lr} must be positive and finite");
    }

    /// <summary>Trains the BPE (with a mask token) on the training texts into the output folder, then the encoder as a
    /// masked language model on them for <see cref="TextClassifierOptions.PretrainEpochs"/>, with the same batching,
    /// optimizer and schedule shape as fine-tuning; writes <see cref="PretrainedFile"/> and drops the head.</summary>
    static PretrainedEncoder Pretrain(TextClassifierOptions options, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        string dir = options.OutputDir;
        var texts = options.Data.Train.Select(e => e.Text).ToArray();
        log($"{texts.Length} training texts; training a BPE of {options.VocabSize} tokens with a mask token for pre-training");
        var (tokenizer, specials, vocabSize) = TaskTokenizer.TrainBpe(texts, options.VocabSize, options.MaxLength, dir, TaskTokenizer.MaskedSpecials);
        var config = options.Encoder(vocabSize) with { VocabSize = vocabSize, MaxLen = options.MaxLength, PadId = specials.Pad };
        var rows = EncodeRows(tokenizer, specials, Encoding(options.MaxLength, options.Truncation), texts);

        // The model draws its initialisation and dropout from one generator, the masks from another: both seeded.
        var model = new MaskedLanguageModel(config, new Generator(options.Seed));
        int?[] special = [specials.Pad, specials.Bos, specials.Eos, specials.Unk, specials.Cls, specials.Sep];
        var masking = new MlmMasking(vocabSize, specials.Mask!.Value, special.OfType<int>()) { MlmProbability = options.MlmProbability };
        var draws = new Generator(options.Seed ^ 0x6d6c6d);
        var sampler = new BucketBatchSampler([.. rows.Select(r => r.Length)], options.BatchSize, options.Seed);
        long steps = sampler.Batches(0).LongCount() * options.PretrainEpochs;
        var optimizer = new AdamW(ParamGroup.DecayMatricesOnly(model.Parameters()), lr: options.PretrainLearningRate ?? options.LearningRate,
                                  weightDecay: options.WeightDecay);
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(options.WarmupSteps, steps), steps, DecayShape.Cosine, minFactor: 0.02);
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.PretrainEpochs, Seed = options.Seed, ClipGradNorm = options.ClipGradNorm, MetricsFile = Path.Combine(dir, PretrainMetricsFile),
        });
        log($"pre-training the encoder as a masked language model ({options.MlmProbability:P0} of the tokens): {options.PretrainEpochs} epochs, {steps:N0} steps");
        var epochLosses = new List<double>();
        void EpochDone(int epoch)
        {
            if (epochLosses.Count > 0) log($"pre-training epoch {epoch + 1}/{options.PretrainEpochs}: masked-LM loss {epochLosses.Average():F4} ({clock.Elapsed.TotalSeconds:F0} s)");
            epochLosses.Clear();
        }
        trainer.EpochStarted += epoch => EpochDone(epoch - 1);
        trainer.StepCompleted += e => epochLosses.Add(e.Loss);
        if (options.PretrainStepCompleted is { } step) trainer.StepCompleted += e => step(e, steps);
        model.Train();
        trainer.Fit(model, optimizer, scheduler, epoch => sampler.Batches(epoch), batch =>
        {
            var padded = Padding.PadSequences([.. batch.Select(i => rows[i])], specials.Pad!.Value);
            var (inputs, labels) = masking.Mask(padded.Ids.ToInt64Array(), draws);
            int b = padded.Ids.Size(0), t = padded.Ids.Size(1);
            var loss = model.Loss(Tensor.FromArray(inputs, b, t), Tensor.FromArray(labels, b, t), padded.PaddingMask);
            return new BatchLoss(loss, batch.Sum(i => (long)rows[i].Length));
        });
        EpochDone(options.PretrainEpochs - 1);
        string weights = Path.Combine(dir, PretrainedFile);
        model.Backbone.SaveSafetensors(weights, new Dictionary<string, string> { ["task"] = "mlm-pretraining" });
        return new PretrainedEncoder(dir, weights, vocabSize);
    }
}

/// <summary>Where <see cref="TextClassifier"/>'s pre-training left its tokenizer (a folder's BPE files) and encoder.</summary>
internal sealed record PretrainedEncoder(string TokenizerFolder, string Weights, int VocabSize)
{
    /// <summary>Copies the tokenizer files into <paramref name="dir"/> (nothing when they are there already).</summary>
    /// <returns>the vocabulary size</returns>
    public int CopyTokenizerTo(string dir)
    {
        if (Path.GetFullPath(dir) != Path.GetFullPath(TokenizerFolder))
            foreach (var file in TaskTokenizer.BpeFiles) File.Copy(Path.Combine(TokenizerFolder, file), Path.Combine(dir, file), overwrite: true);
        return VocabSize;
    }
}
