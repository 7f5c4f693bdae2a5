using System.Security.Cryptography;
using SharpAttention.Data;
using SharpAttention.Kernels.Simd;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.IO;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.Classification;

[Collection(GlobalKernelStateCollection.Name)]   // forces the scalar path and one thread
public class PretrainingGoldenTests
{
    [Fact]
    public void WithoutPretrainingTheModelIsBitIdenticalToTheOneBeforePretrainingExisted()
    {
        using var tmp = new TempDir();
        var options = new TextClassifierOptions(new ClassificationSplit(TextClassifierTests.KeywordTask(80, 1), [], []), tmp.Path)
        {
            Encoder = v => EncoderConfig.Tiny(v) with { DModel = 16, NumHeads = 2, NumLayers = 1, DimFeedforward = 32, Dropout = 0.1 },
            VocabSize = 300, MaxLength = 16, Epochs = 2, BatchSize = 16, LearningRate = 3e-3, EmaDecay = 0.9, TuneThreshold = true, BalanceClasses = true,
        };
        using (SimdWidth.Force(0)) KernelPaths.WithThreads(1, () => TextClassifier.Train(options));
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(tmp.Path, ClassifierFolder.WeightsFile))));
        Assert.Equal("13C9AD83451550A51BA37DB2B95A089710D5F1D3B12F4AE46C146BFEC520EE1B", hash);
    }
}

public class PretrainingTests
{
    static TextClassifierOptions Options(string dir, List<LabeledText> train) => new(new ClassificationSplit(train, [], TextClassifierTests.KeywordTask(60, 2)), dir)
    {
        Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0.1 },
        VocabSize = 320, MaxLength = 16, Epochs = 15, BatchSize = 16, LearningRate = 3e-3, PretrainEpochs = 3,
    };

    static string[] StepLosses(string dir) => [.. File.ReadLines(Path.Combine(dir, TextClassifier.PretrainMetricsFile))];

    static double[] Losses(string dir) =>
        [.. StepLosses(dir).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("kind").GetString() == "step")
            .Select(r => r.GetProperty("loss").GetDouble())];

    [Fact]
    public void A_pretrained_classifier_has_a_mask_token_pretrains_once_for_holdout_and_refit_and_loads_back()
    {
        using var tmp = new TempDir();
        var lines = new List<string>();
        var trained = TextClassifier.Train(Options(tmp.Path, TextClassifierTests.KeywordTask(160, 1)) with { TuneThreshold = true, Log = lines.Add });
        // One pre-training, before the holdout's first model, which trains no tokenizer of its own.
        Assert.Single(lines, l => l.Contains("pre-training the encoder", StringComparison.Ordinal));
        Assert.True(lines.FindIndex(l => l.StartsWith("pre-training the encoder", StringComparison.Ordinal)) < lines.FindIndex(l => l.StartsWith("decision threshold:", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.Contains("training a BPE", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("pre-training epoch 3/3: masked-LM loss", StringComparison.Ordinal));
        Assert.Equal(3 * 10, Losses(tmp.Path).Length);   // 160 texts in batches of 16, 3 epochs
        Assert.True(File.Exists(Path.Combine(tmp.Path, TextClassifier.PretrainedFile)));
        Assert.Contains("\"mask_token\": \"<mask>\"", File.ReadAllText(Path.Combine(tmp.Path, "tokenizer_config.json")));
        Assert.Contains("\"<mask>\":4", File.ReadAllText(Path.Combine(tmp.Path, "vocab.json")));
        Assert.Equal(1.0, trained.Evaluate(TextClassifierTests.KeywordTask(60, 2)).Accuracy);

        var loaded = TextClassifier.Load(tmp.Path);
        Assert.Equal(trained.Threshold, loaded.Threshold);
        string[] texts = ["green zebra table", "green river table", ""];
        var before = trained.Predict(texts);
        var after = loaded.Predict(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(before[i].Probabilities["yes"], after[i].Probabilities["yes"], 6);
    }

    [Fact]
    public void Pretraining_never_sees_the_labels_and_repeats_bit_for_bit()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var texts = TextClassifierTests.KeywordTask(80, 3);
        var flipped = texts.Select(t => t with { Label = t.Label == "yes" ? "no" : "yes" }).ToList();
        TextClassifier.Train(Options(a.Path, texts) with { Epochs = 1 });
        TextClassifier.Train(Options(b.Path, flipped) with { Epochs = 1 });
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, TextClassifier.PretrainedFile)), File.ReadAllBytes(Path.Combine(b.Path, TextClassifier.PretrainedFile)));
        Assert.Equal(Losses(a.Path), Losses(b.Path));
    }

    [Fact]
    public void Pretraining_lowers_the_masked_loss_on_a_small_corpus()
    {
        using var tmp = new TempDir();
        TextClassifier.Train(Options(tmp.Path, TextClassifierTests.KeywordTask(160, 4)) with { Epochs = 1, PretrainEpochs = 25, MlmProbability = 0.3 });
        var losses = Losses(tmp.Path);
        double first = losses.Take(10).Average(), last = losses.TakeLast(10).Average();
        // Twelve words in random order: the best a model can do is about ln 12 ≈ 2.5 nats per masked word piece.
        Assert.True(first > 5 && last < first - 2, $"masked-LM loss {first:F3} in the first epoch, {last:F3} in the last");
    }

    [Fact]
    public void Fine_tuning_starts_from_the_pretrained_encoder()
    {
        using var tmp = new TempDir();
        // Fine-tuning at a vanishing rate leaves the encoder where pre-training put it.
        var trained = TextClassifier.Train(Options(tmp.Path, TextClassifierTests.KeywordTask(64, 5)) with { Epochs = 1, LearningRate = 1e-12, PretrainLearningRate = 3e-3 });
        var pretrained = new TokenEncoder(trained.Model.Backbone.Config);
        pretrained.LoadSafetensors(Path.Combine(tmp.Path, TextClassifier.PretrainedFile));
        var weights = pretrained.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        var fresh = new EncoderClassifier(trained.Model.Backbone.Config, 2, new SharpAttention.Tensors.Generator(42));
        bool differsFromFresh = false;
        foreach (var (name, p) in trained.Model.Backbone.NamedParameters())
        {
            var expected = weights[name];
            var actual = p.ToArray();
            for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"{name}[{i}]: {actual[i]} vs pretrained {expected[i]}");
            differsFromFresh |= !fresh.Backbone.NamedParameters().First(q => q.Name == name).Parameter.ToArray().SequenceEqual(expected);
        }
        Assert.True(differsFromFresh);
    }

    [Fact]
    public void Pretraining_options_are_checked_and_resuming_names_what_cannot_be_resumed()
    {
        using var tmp = new TempDir();
        var options = Options(tmp.Path, TextClassifierTests.KeywordTask(40, 6));
        Assert.Contains("pretrain epochs -1", Assert.Throws<ArgumentException>(() => TextClassifier.Train(options with { PretrainEpochs = -1 })).Message);
        Assert.Contains("mlm probability 0", Assert.Throws<ArgumentException>(() => TextClassifier.Train(options with { MlmProbability = 0 })).Message);
        Assert.Contains("mlm probability 1", Assert.Throws<ArgumentException>(() => TextClassifier.Train(options with { MlmProbability = 1 })).Message);
        Assert.Contains("pretrain learning rate 0", Assert.Throws<ArgumentException>(() => TextClassifier.Train(options with { PretrainLearningRate = 0 })).Message);
        Assert.Contains("starts again without resuming", Assert.Throws<FileNotFoundException>(() => TextClassifier.Train(options with { Resume = true })).Message);
    }

    [Fact]
    public void A_pretrained_run_stopped_while_fine_tuning_resumes_to_the_weights_of_an_uninterrupted_one()
    {
        using var straight = new TempDir();
        using var interrupted = new TempDir();
        var texts = TextClassifierTests.KeywordTask(64, 7);
        TextClassifierOptions Run(string dir) => Options(dir, texts) with { Epochs = 3, PretrainEpochs = 2 };
        string[] probe = ["zebra river", "apple stone quiet", "dance"];
        var expected = TextClassifier.Train(Run(straight.Path)).Predict(probe);
        TextClassifier.Train(Run(interrupted.Path) with { MaxSteps = 5 });
        var resumed = TextClassifier.Train(Run(interrupted.Path) with { Resume = true }).Predict(probe);
        for (int i = 0; i < probe.Length; i++) Assert.Equal(expected[i].Probabilities["yes"], resumed[i].Probabilities["yes"]);
    }
}
