using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Optim;
using SharpAttention.Optim.Schedules;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.LanguageModeling;

// Training: documents → tokenizer → token files (memory-mapped) → CausalLanguageModel → Trainer → perplexity → folder.
public sealed partial class LanguageModel
{
    /// <summary>Folders and files of a run inside the model folder.</summary>
    public const string CheckpointFolder = "checkpoints", DataFolder = "data", MetricsFile = "metrics.jsonl", SizesFile = "sizes.json";

    /// <summary>Validation and test scores <see cref="Train"/> measured ("valid", "test"); empty for a loaded model.</summary>
    public IReadOnlyDictionary<string, PerplexityResult> Scores { get; private set; } = new Dictionary<string, PerplexityResult>();

    /// <summary>What the Trainer reported.</summary>
    public TrainingResult? Training { get; private set; }

    /// <summary>
    /// Trains a language model on <see cref="LanguageModelOptions.Data"/> and writes its folder: the tokenizer is
    /// trained on the training documents, every part is tokenized once into data/PART.tokens (memory-mapped while
    /// training), config.json is written, the decoder is trained with AdamW under warm-up + cosine decay on blocks of
    /// <see cref="LanguageModelOptions.Context"/> tokens, keeping the checkpoint of the lowest validation perplexity,
    /// and results.json gets the sliding-window perplexity and bits per byte of the validation and test parts.
    /// </summary>
    public static LanguageModel Train(LanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = options.Log ?? (_ => { });
        var clock = Stopwatch.StartNew();
        string dir = options.OutputDir, data = Path.Combine(dir, DataFolder);
        Directory.CreateDirectory(data);
        string Part(string name) => Path.Combine(data, name + ".tokens");

        // 1. Tokenizer, token files and network shape: new, or (resuming) those the run saved.
        CausalLMConfig config;
        int? eos;
        Dictionary<string, long> bytes;
        if (options.Resume)
        {
            var checkpoint = Path.Combine(dir, CheckpointFolder, "last.safetensors");
            if (!File.Exists(checkpoint)) throw new FileNotFoundException($"resume: no checkpoint at {checkpoint}", checkpoint);
            (config, _, eos) = LanguageModelFolder.ReadConfig(dir);
            bytes = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(Path.Combine(data, SizesFile))) ?? [];
            log($"resuming the run in {dir} with its tokenizer, token files and config.json");
        }
        else
        {
            var (tokenizer, vocab) = TrainTokenizer(options, dir, log);
            eos = options.EndOfText ? SpecialsOf(options).Resolve(tokenizer).Eos : null;
            bytes = [];
            foreach (var (name, documents) in new[] { ("train", options.Data.Train), ("valid", options.Data.Valid), ("test", options.Data.Test) })
            {
                var (count, size) = CorpusTokens.Write(Part(name), documents, tokenizer, eos);
                bytes[name] = size;
                log($"{name}: {count:N0} tokens ({size:N0} bytes) → {Part(name)}");
            }
            AtomicFile.WriteAllText(Path.Combine(data, SizesFile), JsonSerializer.Serialize(bytes));
            config = options.Decoder(vocab) with { VocabSize = vocab, MaxLen = options.Context };
            LanguageModelFolder.WriteConfig(dir, config, options.Context, eos);
        }
        var loaded = Tokenizers.Load(dir);

        // 2. Model and batches of contiguous blocks from the memory-mapped training tokens.
        using var train = TokenFile.Open(Part("train"));
        using var valid = TokenFile.Open(Part("valid"));
        using var test = TokenFile.Open(Part("test"));
        var generator = new Generator(options.Seed);
        var model = new CausalLanguageModel(config, generator);
        var lm = new LanguageModel(model, loaded, options.Context, eos);
        var sampler = new BlockSampler(train.Count, options.Context, options.BatchSize, options.Seed);
        long stepsPerEpoch = sampler.BatchesPerEpoch, scheduleSteps = stepsPerEpoch * options.Epochs;
        long totalSteps = Math.Min(options.MaxSteps ?? long.MaxValue, scheduleSteps);
        long parameters = model.Parameters().Sum(p => (long)p.NumEl);
        log($"model: {config.NumLayers} layers × {config.DModel}, {config.NumHeads} heads, {config.Positions.ToString().ToLowerInvariant()} positions, " +
            $"vocabulary {config.VocabSize:N0}, {parameters:N0} parameters; {train.Count:N0} training tokens, {stepsPerEpoch:N0} steps per epoch, {totalSteps:N0} steps");

        // 3. Training, selecting on validation perplexity (disjoint windows: quick) when there is a validation part.
        var optimizer = new AdamW(model.Parameters(), lr: options.LearningRate, weightDecay: options.WeightDecay);
        var scheduler = new WarmupDecayLR(optimizer, Math.Min(options.WarmupSteps, scheduleSteps), scheduleSteps, DecayShape.Cosine, minFactor: 0.02);
        string checkpoints = Path.Combine(dir, CheckpointFolder);
        bool select = valid.Count > 1;
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.Epochs, MaxSteps = options.MaxSteps, Seed = options.Seed, ClipGradNorm = options.ClipGradNorm,
            CheckpointDir = checkpoints, CheckpointEvery = options.CheckpointEvery,
            ResumeFrom = options.Resume ? Path.Combine(checkpoints, "last.safetensors") : null,
            EarlyStoppingPatience = select ? options.EarlyStoppingPatience : null,
            MetricsFile = Path.Combine(dir, MetricsFile), BestMetric = "valid_perplexity", GreaterIsBetter = false,
        });
        trainer.EpochStarted += epoch => log($"epoch {epoch + 1}/{options.Epochs} ({clock.Elapsed.TotalSeconds:F0} s)");
        if (options.StepCompleted is { } step) trainer.StepCompleted += e => step(e, totalSteps);
        if (options.Evaluated is { } evaluated) trainer.Evaluated += evaluated;
        IReadOnlyDictionary<string, double> Validate()
        {
            var r = LanguageModeling.Perplexity.Evaluate(model, valid, options.Context, options.Context);
            return new Dictionary<string, double> { ["valid_loss"] = r.NegativeLogLikelihood, ["valid_perplexity"] = r.Perplexity };
        }
        model.Train();
        var result = trainer.Fit(model, optimizer, scheduler, sampler.Batches, starts =>
            {
                var (x, y) = sampler.Gather(train, starts);
                return new BatchLoss(model.Loss(x, y), x.NumEl);
            },
            select ? Validate : null, new Dictionary<string, Generator> { ["model"] = generator });
        if (result.BestCheckpoint is { } best) Checkpoint.Load(best, model, null, null);
        model.Eval();
        double trainSeconds = clock.Elapsed.TotalSeconds;

        // 4. The folder: weights, then the sliding-window scores.
        model.SaveSafetensors(Path.Combine(dir, LanguageModelFolder.WeightsFile), new Dictionary<string, string> { ["task"] = "lm" });
        int stride = options.EvalStride ?? Math.Max(1, options.Context / 2);
        var results = new JsonObject
        {
            ["train_seconds"] = Math.Round(trainSeconds, 1), ["steps"] = result.Steps, ["epochs"] = result.Epochs,
            ["tokens_per_second"] = Math.Round(result.Steps * (double)options.BatchSize * options.Context / Math.Max(trainSeconds, 1e-9)),
            ["train_tokens"] = train.Count, ["threads"] = Threads.Count, ["parameters"] = parameters, ["context"] = options.Context, ["stride"] = stride,
        };
        if (result.BestMetric is double bestPerplexity) results["best_valid_perplexity_disjoint_windows"] = bestPerplexity;
        var scores = new Dictionary<string, PerplexityResult>();
        foreach (var (file, name) in new[] { (valid, "valid"), (test, "test") })
        {
            if (file.Count < 2) continue;
            var r = LanguageModeling.Perplexity.Evaluate(model, file, options.Context, stride, bytes: bytes.GetValueOrDefault(name));
            scores[name] = r;
            results[name] = ToJson(r);
            log($"{name}: perplexity {r.Perplexity:F2} over {r.Tokens:N0} tokens, {r.BitsPerByte:F4} bits per byte (stride {stride})");
        }
        results["total_seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        AtomicFile.WriteAllText(Path.Combine(dir, LanguageModelFolder.ResultsFile), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        lm.Scores = scores;
        lm.Training = result;
        return lm;
    }

    /// <summary>A perplexity as results.json writes it.</summary>
    public static JsonObject ToJson(PerplexityResult r) => new()
    {
        ["perplexity"] = Math.Round(r.Perplexity, 3), ["nll"] = Math.Round(r.NegativeLogLikelihood, 5), ["tokens"] = r.Tokens,
        ["bits_per_byte"] = r.BitsPerByte is double b ? Math.Round(b, 5) : null,
    };

    static SpecialTokens SpecialsOf(LanguageModelOptions o) => o.Tokenizer == LmTokenizer.Bpe ? TaskTokenizer.Specials
        : new SpecialTokens { Unk = "<unk>", Eos = o.EndOfText ? "</s>" : null };

    static (Microsoft.ML.Tokenizers.Tokenizer Tokenizer, int VocabSize) TrainTokenizer(LanguageModelOptions o, string dir, Action<string> log)
    {
        if (o.Tokenizer == LmTokenizer.Bpe)
        {
            log($"training a byte-level BPE of {o.VocabSize ?? 8000} tokens");
            var bpe = TaskTokenizer.TrainBpe(o.Data.Train, o.VocabSize ?? 8000, o.Context, dir);
            return (bpe.Tokenizer, bpe.VocabSize);
        }
        var texts = o.VocabularyIncludesValid ? o.Data.Train.Concat(o.Data.Valid) : o.Data.Train;
        var specials = SpecialsOf(o);
        var words = WordLevelTrainer.Train(texts, new WordLevelTrainerOptions
        {
            Pattern = WordLevelTokenizer.WhitespacePattern, MinFrequency = o.MinFrequency, VocabSize = o.VocabSize, SpecialTokens = specials,
        });
        log($"word vocabulary: {words.Tokens.Count:N0} tokens (words seen ≥ {o.MinFrequency} times in the training{(o.VocabularyIncludesValid ? " and validation" : "")} part, the rest → <unk>)");
        Tokenizers.Save(words, dir, new TokenizerConfig { Kind = TokenizerKind.Word, SpecialTokens = specials, ModelMaxLength = o.Context });
        return (words, words.Tokens.Count);
    }
}
