using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tests.Support;
using SharpAttention.Text;

namespace SharpAttention.Tests.Tasks.Classification;

/// <summary>
/// <see cref="TextClassifierOptions.RandomCrop"/> in training: off, the steps see the batches a run has always had
/// (rebuilt here from the tokenizer and the bucket sampler); on, the steps see shorter rows, reproducibly, and the
/// validation part is scored whole (the scores logged during training equal a fresh model's on the same texts).
/// </summary>
public class TextClassifierCropTests
{
    /// <summary>Texts of 12–40 filler words (longer than max_length 32 tokens for most); "yes" texts hold "zebra".</summary>
    static List<LabeledText> KeywordTask(int count, int seed) => TextClassifierTests.KeywordTask(count, seed, 12, 40);

    static TextClassifierOptions Options(string dir, List<long> stepTokens) => new(new ClassificationSplit(KeywordTask(96, 1), [], []), dir)
    {
        Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0.1 },
        VocabSize = 300, MaxLength = 32, Epochs = 2, BatchSize = 16, LearningRate = 3e-3,
        StepCompleted = (e, _) => stepTokens.Add(e.Tokens),
    };

    static byte[] Weights(string dir) => File.ReadAllBytes(Path.Combine(dir, ClassifierFolder.WeightsFile));

    [Fact]
    public void WithoutCroppingTheStepsSeeTheBucketedBatchesOfTheTruncatedTexts()
    {
        using var off = new TempDir();
        using var idle = new TempDir();
        var tokens = new List<long>();
        var options = Options(off.Path, tokens);
        TextClassifier.Train(options);

        // The batches a run had before cropping existed: every text encoded (head + tail to 32), bucketed by length.
        var tokenizer = Tokenizers.Load(off.Path, out var config);
        var encoding = new BatchEncodingOptions { MaxLength = 32, Truncation = Truncation.HeadAndTail, Wrap = SequenceWrap.ClsSep };
        var lengths = BatchEncoding.Encode(tokenizer, [.. options.Data.Train.Select(e => e.Text)], config.SpecialTokens.Resolve(tokenizer), encoding).Lengths;
        Assert.Contains(lengths, n => n == 32);   // some texts are truncated
        var sampler = new BucketBatchSampler(lengths, 16, options.Seed);
        long[] expected = [.. Enumerable.Range(0, 2).SelectMany(sampler.Batches).Select(b => b.Sum(i => (long)lengths[i]))];
        Assert.Equal(expected, tokens);

        // Cropping on, but too rarely for any window to be drawn: the same steps, bit for bit.
        TextClassifier.Train(Options(idle.Path, []) with { RandomCrop = 1e-12, RandomCropMinTokens = 4 });
        Assert.Equal(Weights(off.Path), Weights(idle.Path));
    }

    [Fact]
    public void CroppedRunsSeeShorterRowsAndRepeatThemselves()
    {
        using var off = new TempDir();
        using var first = new TempDir();
        using var again = new TempDir();
        var offTokens = new List<long>();
        var firstTokens = new List<long>();
        var againTokens = new List<long>();
        TextClassifier.Train(Options(off.Path, offTokens));
        TextClassifier.Train(Options(first.Path, firstTokens) with { RandomCrop = 1.0, RandomCropMinTokens = 4 });
        TextClassifier.Train(Options(again.Path, againTokens) with { RandomCrop = 1.0, RandomCropMinTokens = 4 });

        Assert.Equal(offTokens.Count, firstTokens.Count);   // as many steps: bucketing keeps the batch count
        // Windows average about half the room: far fewer tokens per epoch.
        Assert.True(firstTokens.Sum() < 0.8 * offTokens.Sum(), $"{firstTokens.Sum()} tokens cropped against {offTokens.Sum()}");
        Assert.NotEqual(Weights(off.Path), Weights(first.Path));
        Assert.Equal(firstTokens, againTokens);
        Assert.Equal(Weights(first.Path), Weights(again.Path));
    }

    [Fact]
    public void ValidationTextsAreScoredWhole()
    {
        using var tmp = new TempDir();
        var valid = KeywordTask(40, 5);
        var scores = new List<SharpAttention.Training.EvaluationEvent>();
        var options = Options(tmp.Path, []) with
        {
            Data = new ClassificationSplit(KeywordTask(96, 1), valid, []), Epochs = 3, RandomCrop = 1.0, RandomCropMinTokens = 4,
            Evaluated = scores.Add,
        };
        var trained = TextClassifier.Train(options);
        Assert.Equal(3, scores.Count);
        // The checkpoint kept is the best epoch's; a freshly loaded model, which knows nothing of cropping, scores the
        // whole validation texts exactly as training did.
        var best = scores.Last(e => e.IsBest).Metrics;
        var fresh = TextClassifier.Load(tmp.Path).Evaluate(valid);
        Assert.Equal(best["valid_macro_f1"], fresh.MacroF1, 12);
        Assert.Equal(best["valid_accuracy"], fresh.Accuracy, 12);
        Assert.Equal(fresh.Accuracy, trained.Scores["valid"].Accuracy, 12);
    }

    [Fact]
    public void BadCropOptionsAreRefused()
    {
        using var tmp = new TempDir();
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => TextClassifier.Train(Options(tmp.Path, []) with { RandomCrop = -0.5 })).Message);
        Assert.Contains("1..30", Assert.Throws<ArgumentOutOfRangeException>(() =>
            TextClassifier.Train(Options(tmp.Path, []) with { RandomCrop = 0.5, RandomCropMinTokens = 31 })).Message);
    }
}
