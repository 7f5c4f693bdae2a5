using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.Classification;

public class TextClassifierTests
{
    static readonly string[] Words = ["apple", "river", "stone", "cloud", "green", "music", "paper", "light", "table", "dance", "ocean", "quiet"];

    /// <summary>Texts of 4–9 filler words; "yes" texts also hold the keyword "zebra" somewhere.</summary>
    static List<LabeledText> KeywordTask(int count, int seed)
    {
        var rng = new Random(seed);
        var texts = new List<LabeledText>();
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, rng.Next(4, 10)).Select(_ => Words[rng.Next(Words.Length)]).ToList();
            bool yes = i % 2 == 0;
            if (yes) words.Insert(rng.Next(words.Count + 1), "zebra");
            texts.Add(new LabeledText(string.Join(' ', words), yes ? "yes" : "no", "synthetic", i + 1));
        }
        return texts;
    }

    static TextClassifierOptions Options(string dir) => new(new ClassificationSplit(KeywordTask(160, 1), [], KeywordTask(60, 2)), dir)
    {
        Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0 },
        VocabSize = 320, MaxLength = 16, Epochs = 15, BatchSize = 16, LearningRate = 3e-3,
    };

    [Fact]
    public void KeywordTaskTrainsToFullAccuracyAndTheFolderLoadsBack()
    {
        using var tmp = new TempDir();
        var trained = TextClassifier.Train(Options(tmp.Path));
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer_config.json", "vocab.json", "merges.txt", "results.json" })
            Assert.True(File.Exists(Path.Combine(tmp.Path, file)), file);
        Assert.Equal(1.0, trained.Evaluate(KeywordTask(60, 2)).Accuracy);
        Assert.Contains("\"accuracy\": 1", File.ReadAllText(Path.Combine(tmp.Path, "results.json")));

        var loaded = TextClassifier.Load(tmp.Path);
        Assert.Equal(["no", "yes"], loaded.Labels);
        Assert.Equal(Pooling.Attention, loaded.Model.Pooling);
        string[] texts = ["green zebra table", "green river table", ""];
        var before = trained.Predict(texts);
        var after = loaded.Predict(texts);
        Assert.Equal(["yes", "no"], after.Take(2).Select(p => p.Label));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(before[i].Label, after[i].Label);
            Assert.Equal(before[i].Probabilities["yes"], after[i].Probabilities["yes"], 6);
            Assert.Equal(1.0, after[i].Probabilities.Values.Sum(), 6);
        }

        var why = loaded.Explain("music zebra ocean");
        Assert.Equal("yes", why.Prediction.Label);
        Assert.Equal(1.0, why.Tokens.Sum(t => t.Weight), 5);
        Assert.Equal("music zebra ocean", string.Concat(why.Tokens.Where(t => t.End > t.Start).Select(t => t.Token)));
        // The learned query looks at the keyword: the heaviest token lies within " zebra" (characters 5–10).
        var top = why.Tokens.MaxBy(t => t.Weight);
        Assert.True(top.Start >= 5 && top.End <= 11 && top.End > top.Start, $"heaviest token '{top.Token}' at [{top.Start}, {top.End})");
    }

    [Fact]
    public void AResumedRunEndsWithTheWeightsOfAnUninterruptedOne()
    {
        using var straight = new TempDir();
        using var interrupted = new TempDir();
        var split = new ClassificationSplit(KeywordTask(60, 4), KeywordTask(20, 5), KeywordTask(20, 6));
        TextClassifierOptions Run(string dir, int epochs, bool resume) => Options(dir) with
        {
            Data = split, Epochs = epochs, Resume = resume,
            Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0.1 },
        };
        string[] probe = ["zebra river", "apple stone quiet", "dance"];
        var expected = TextClassifier.Train(Run(straight.Path, 3, false)).Predict(probe);
        // Interrupted after the first epoch's four batches (60 texts, batches of 16); the schedule spans all 3 epochs.
        TextClassifier.Train(Run(interrupted.Path, 3, false) with { MaxSteps = 4 });
        var lines = new List<string>();
        var resumed = TextClassifier.Train(Run(interrupted.Path, 3, true) with { Log = lines.Add }).Predict(probe);
        // It did resume (from the checkpoint, with the saved tokenizer) rather than train afresh.
        Assert.Contains(lines, l => l.StartsWith("resuming", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("training a BPE", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("epoch 3/3", StringComparison.Ordinal));
        for (int i = 0; i < probe.Length; i++) Assert.Equal(expected[i].Probabilities["yes"], resumed[i].Probabilities["yes"]);
        Assert.Throws<FileNotFoundException>(() => TextClassifier.Train(Run(Path.Combine(straight.Path, "fresh"), 1, true)));
    }

    [Fact]
    public void AMalformedConfigIsNamed()
    {
        using var tmp = new TempDir();
        File.WriteAllText(Path.Combine(tmp.Path, "config.json"), "{\"vocab_size\": 10, \"d_model\": \"wide\"}");
        var e = Assert.Throws<DataFormatException>(() => TextClassifier.Load(tmp.Path));
        Assert.Contains("field 'd_model' is not a Int32", e.Message);
        File.WriteAllText(Path.Combine(tmp.Path, "config.json"), "[1, 2]");
        Assert.Contains("not a JSON object", Assert.Throws<DataFormatException>(() => TextClassifier.Load(tmp.Path)).Message);
    }

    [Fact]
    public void AFolderWithoutConfigIsNamed()
    {
        using var tmp = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => TextClassifier.Load(tmp.Path));
        Assert.Contains("no config.json", e.Message);
    }

    [Fact]
    public void TrainingRefusesASingleClass()
    {
        using var tmp = new TempDir();
        var one = KeywordTask(10, 3).Where(t => t.Label == "yes").ToList();
        Assert.Throws<DataFormatException>(() => TextClassifier.Train(new TextClassifierOptions(new ClassificationSplit(one, [], []), tmp.Path)));
    }
}
