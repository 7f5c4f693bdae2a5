using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.Classification;

public class TextClassifierTests
{
    static readonly string[] Words = ["apple", "river", "stone", "cloud", "green", "music", "paper", "light", "table", "dance", "ocean", "quiet"];

    /// <summary>Texts of 4–9 filler words; "yes" texts also hold the keyword "zebra" somewhere.</summary>
    internal static List<LabeledText> KeywordTask(int count, int seed)
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

    /// <summary>F1 of "yes" when texts whose P(yes) reaches <paramref name="t"/> are called "yes".</summary>
    static double YesF1(IReadOnlyList<ClassPrediction> predictions, IReadOnlyList<LabeledText> texts, double t)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            bool said = predictions[i].Probabilities["yes"] >= t, yes = texts[i].Label == "yes";
            if (said && yes) tp++;
            else if (said) fp++;
            else if (yes) fn++;
        }
        return 2.0 * tp / (2 * tp + fp + fn);
    }

    [Fact]
    public void AStoredThresholdDecidesPredictEvaluateAndExplain()
    {
        using var tmp = new TempDir();
        // Two epochs leave the keyword task half learnt, so the probabilities spread and a high threshold changes labels.
        var trained = TextClassifier.Train(Options(tmp.Path) with { Epochs = 2 });
        Assert.Null(trained.Threshold);
        var texts = KeywordTask(60, 2);
        var argmax = trained.Predict([.. texts.Select(t => t.Text)]);
        // The 40th percentile of P(yes) among the texts the arg-max calls "yes": a cut that moves some of them to "no".
        var yes = argmax.Select(p => p.Probabilities["yes"]).Where(p => p > 0.5).Order().ToArray();
        Assert.True(yes.Length >= 5, $"only {yes.Length} texts called yes");
        double t = (yes[yes.Length * 2 / 5] + yes[yes.Length * 2 / 5 - 1]) / 2;
        var config = Path.Combine(tmp.Path, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"decision_threshold\": null", $"\"decision_threshold\": {t.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));

        var loaded = TextClassifier.Load(tmp.Path);
        Assert.Equal(t, loaded.Threshold);
        var cut = loaded.Predict([.. texts.Select(x => x.Text)]);
        int moved = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(argmax[i].Probabilities["yes"], cut[i].Probabilities["yes"], 6);   // probabilities unchanged
            Assert.Equal(cut[i].Probabilities["yes"] >= t ? "yes" : "no", cut[i].Label);
            if (cut[i].Label != argmax[i].Label) moved++;
        }
        Assert.True(moved >= 2, $"{moved} labels moved");
        // Evaluate counts the same decisions: hand-count the confusion from the labels Predict gave.
        var m = loaded.Evaluate(texts);
        Assert.Equal(texts.Where((x, i) => x.Label == "yes" && cut[i].Label == "no").Count(), m.Confusion(1, 0));
        Assert.Equal(texts.Where((x, i) => x.Label == "no" && cut[i].Label == "yes").Count(), m.Confusion(0, 1));
        // Explain decides alike.
        int first = Enumerable.Range(0, texts.Count).First(i => cut[i].Label != argmax[i].Label);
        Assert.Equal(cut[first].Label, loaded.Explain(texts[first].Text).Prediction.Label);

        File.WriteAllText(config, File.ReadAllText(config).Replace($"\"decision_threshold\": {t.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", "\"decision_threshold\": 1.5"));
        Assert.Contains("decision_threshold", Assert.Throws<DataFormatException>(() => TextClassifier.Load(tmp.Path)).Message);
    }

    [Fact]
    public void ATunedThresholdHasTheBestValidationF1()
    {
        using var tmp = new TempDir();
        var valid = KeywordTask(40, 5);
        var trained = TextClassifier.Train(Options(tmp.Path) with
        {
            Data = new ClassificationSplit(KeywordTask(160, 1), valid, []), Epochs = 2, TuneThreshold = true,
        });
        double t = Assert.IsType<double>(trained.Threshold);
        Assert.Equal(t, TextClassifier.Load(tmp.Path).Threshold);
        // Brute force over every validation probability as the cut: none beats the chosen threshold's F1.
        var predictions = trained.Predict([.. valid.Select(v => v.Text)]);
        double best = predictions.Max(p => YesF1(predictions, valid, p.Probabilities["yes"]));
        Assert.Equal(best, YesF1(predictions, valid, t), 12);
        var results = File.ReadAllText(Path.Combine(tmp.Path, "results.json"));
        Assert.Contains("\"decision_threshold\"", results);
        Assert.Contains("\"valid_argmax\"", results);
    }

    [Fact]
    public void WithoutAValidationPartTheThresholdComesFromAHoldoutAndTheModelIsRefit()
    {
        using var tmp = new TempDir();
        var lines = new List<string>();
        var trained = TextClassifier.Train(Options(tmp.Path) with { Epochs = 2, TuneThreshold = true, Log = lines.Add });
        double t = Assert.IsType<double>(trained.Threshold);
        Assert.InRange(t, 1e-12, 1 - 1e-12);
        // The first model trained on 80 % of the 160 texts, the second on all of them; its folder is gone.
        Assert.Contains(lines, l => l.Contains("trains on 128 texts and scores the 32 held out", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("160 training texts", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, TextClassifier.ThresholdRunFolder)));
        var results = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(tmp.Path, "results.json")))!;
        Assert.Equal("holdout", (string?)results["threshold_tuning"]!["from"]);
        Assert.Equal(32, (int)results["threshold_tuning"]!["count"]!);
        Assert.Equal(t, (double)results["decision_threshold"]!);
        Assert.Equal(t, TextClassifier.Load(tmp.Path).Threshold);
    }

    [Fact]
    public void ThresholdOptionsAreChecked()
    {
        using var tmp = new TempDir();
        var three = KeywordTask(20, 3).Select((t, i) => i % 3 == 0 ? t with { Label = "maybe" } : t).ToList();
        Assert.Contains("two classes", Assert.Throws<ArgumentException>(() =>
            TextClassifier.Train(Options(tmp.Path) with { Data = new ClassificationSplit(three, [], []), TuneThreshold = true })).Message);
        Assert.Contains("strictly between 0 and 1", Assert.Throws<ArgumentException>(() =>
            TextClassifier.Train(Options(tmp.Path) with { DecisionThreshold = 1.0 })).Message);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() =>
            TextClassifier.Train(Options(tmp.Path) with { DecisionThreshold = 0.3, TuneThreshold = true })).Message);
    }

    [Fact]
    public void WithAnAverageTheModelEndsWithTheAveragedWeights()
    {
        using var tmp = new TempDir();
        TextClassifier.Train(Options(tmp.Path) with { Epochs = 3, EmaDecay = 0.9 });
        // The last checkpoint holds the trained weights as the model's and the Trainer's average beside them.
        var last = Path.Combine(tmp.Path, "checkpoints", "last.safetensors");
        var average = SharpAttention.Training.Checkpoint.LoadExtraTensors(last, "ema.module.");
        var raw = TextClassifier.Load(tmp.Path).Model;
        SharpAttention.Training.Checkpoint.Load(last, raw, null, null);
        var rawWeights = raw.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        bool differs = false;
        foreach (var (name, p) in TextClassifier.Load(tmp.Path).Model.NamedParameters())
        {
            Assert.Equal(average[name].ToArray(), p.ToArray());
            differs |= !rawWeights[name].SequenceEqual(p.ToArray());
        }
        Assert.True(differs, "the saved model holds the trained weights, not their average");
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
