using System.Text.Json;
using SharpAttention.Data;
using SharpAttention.Models;
using SharpAttention.Tasks.Classification;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.Classification;

/// <summary>
/// The cross-fitted ensemble (<see cref="TextClassifierOptions.EnsembleFolds"/>) against oracles outside it: each
/// member folder loaded on its own, marker words that tell which fold a text is in and whether a member's tokenizer
/// saw them, and a brute-force search for the best-F1 cut over the out-of-fold probabilities.
/// </summary>
public class TextClassifierEnsembleTests
{
    static readonly string[] Words = ["apple", "river", "stone", "cloud", "green", "music", "paper", "light", "table", "dance", "ocean", "quiet"];

    /// <summary>Letters no filler word (nor "zebra") has: a marker word per fold.</summary>
    static readonly string[] Markers = ["fjfjfj", "kwkwkw", "xyxyxy"];

    const int Folds = 3;
    const ulong Seed = 42;

    /// <summary>Filler texts, a third of them "yes" with the keyword "zebra"; every 9th label is flipped, so that the
    /// out-of-fold scores are imperfect and the threshold matters.</summary>
    static List<LabeledText> NoisyKeywordTask(int count, int seed)
    {
        var rng = new Random(seed);
        var texts = new List<LabeledText>();
        for (int i = 0; i < count; i++)
        {
            var words = Enumerable.Range(0, rng.Next(4, 10)).Select(_ => Words[rng.Next(Words.Length)]).ToList();
            bool yes = i % 3 == 0;
            if (yes) words.Insert(rng.Next(words.Count + 1), "zebra");
            if (i % 9 == 4) yes = !yes;
            texts.Add(new LabeledText(string.Join(' ', words), yes ? "yes" : "no", "synthetic", i + 1));
        }
        return texts;
    }

    /// <summary>The training texts with their fold's marker word appended (the folds depend on the labels and the seed
    /// only, so marking the texts leaves them where they were).</summary>
    static LabeledText[] MarkedTrain(out int[] foldOf)
    {
        var train = NoisyKeywordTask(150, 1);
        var folds = TextClassifier.CrossFitFolds(train, Folds, Seed);
        var of = new int[train.Count];
        for (int f = 0; f < folds.Length; f++)
            foreach (int i in folds[f]) of[i] = f;
        foldOf = of;
        return [.. train.Select((e, i) => e with { Text = $"{e.Text} {Markers[of[i]]}" })];
    }

    static TextClassifierOptions Options(string dir, LabeledText[] train) => new(new ClassificationSplit(train, [], NoisyKeywordTask(45, 2)), dir)
    {
        Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0 },
        VocabSize = 400, MaxLength = 20, Epochs = 6, BatchSize = 16, LearningRate = 3e-3, Seed = Seed,
        EnsembleFolds = Folds, TuneThreshold = true,
    };

    /// <summary>F1 of "yes" when p ≥ cut.</summary>
    static double F1(IReadOnlyList<(double P, bool Yes)> scored, double cut)
    {
        int tp = scored.Count(s => s.P >= cut && s.Yes), fp = scored.Count(s => s.P >= cut && !s.Yes), fn = scored.Count(s => s.P < cut && s.Yes);
        return 2.0 * tp / (2 * tp + fp + fn);
    }

    [Fact]
    public void FoldsAreStratifiedDisjointAndCoverEveryText()
    {
        var train = NoisyKeywordTask(103, 3);
        foreach (int k in new[] { 2, 3, 5 })
        {
            var folds = TextClassifier.CrossFitFolds(train, k, 7);
            Assert.Equal(k, folds.Length);
            Assert.Equal(Enumerable.Range(0, train.Count), folds.SelectMany(f => f).Order());   // each text exactly once
            foreach (var label in new[] { "yes", "no" })
            {
                int total = train.Count(e => e.Label == label);
                foreach (var fold in folds)
                {
                    int n = fold.Count(i => train[i].Label == label);
                    Assert.InRange(n, total / k, (total + k - 1) / k);
                }
            }
        }
        Assert.Equal(TextClassifier.CrossFitFolds(train, 3, 7), TextClassifier.CrossFitFolds(train, 3, 7));
        Assert.NotEqual(TextClassifier.CrossFitFolds(train, 3, 7), TextClassifier.CrossFitFolds(train, 3, 8));
    }

    [Fact]
    public void TheEnsembleAveragesItsMembersAndItsOutOfFoldScoresChooseTheThreshold()
    {
        using var tmp = new TempDir();
        var train = MarkedTrain(out var foldOf);
        var trained = TextClassifier.Train(Options(tmp.Path, train));
        Assert.Equal(Folds, trained.Members.Count);

        // Each member loads on its own; member i's tokenizer never saw fold i's marker, and every other member's did.
        var members = Enumerable.Range(0, Folds).Select(i => TextClassifier.Load(Path.Combine(tmp.Path, $"member-{i}"))).ToArray();
        for (int i = 0; i < Folds; i++)
            for (int m = 0; m < Folds; m++)
            {
                int pieces = members[m].Tokenizer.EncodeToIds(" " + Markers[i]).Count;
                if (m == i) Assert.True(pieces >= Markers[i].Length, $"member {m} has merges for its held-out marker {Markers[i]}: {pieces} tokens");
                else Assert.True(pieces < Markers[i].Length, $"member {m} never merged marker {Markers[i]} of a fold it trained on");
            }

        // The ensemble's probabilities are the mean of the members' own; the loaded folder predicts the same.
        var loaded = TextClassifier.Load(tmp.Path);
        string[] probe = ["green zebra table", "green river table", "", "zebra"];
        var ensemble = trained.Predict(probe);
        var reloaded = loaded.Predict(probe);
        var own = members.Select(m => m.Predict(probe)).ToArray();
        for (int t = 0; t < probe.Length; t++)
        {
            double mean = own.Average(p => p[t].Probabilities["yes"]);
            Assert.Equal(mean, ensemble[t].Probabilities["yes"], 12);
            Assert.Equal(mean, reloaded[t].Probabilities["yes"], 12);
            Assert.Equal(mean >= loaded.Threshold!.Value ? "yes" : "no", reloaded[t].Label);
        }
        Assert.Equal(trained.Threshold, loaded.Threshold);

        // Out-of-fold: each text scored by the member that held it out (found by its marker); the threshold has the
        // best F1 a brute-force search over every cut finds.
        var scored = train.Select((e, i) => (P: members[foldOf[i]].Predict([e.Text])[0].Probabilities["yes"], Yes: e.Label == "yes")).ToArray();
        double best = scored.Select(s => F1(scored, s.P)).Max();
        double threshold = loaded.Threshold!.Value;
        Assert.Equal(best, F1(scored, threshold), 12);
        Assert.True(best < 1, "the noisy task should leave out-of-fold errors");

        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp.Path, "results.json"))).RootElement;
        Assert.Equal(Folds, results.GetProperty("ensemble_folds").GetInt32());
        Assert.Equal("out_of_fold", results.GetProperty("threshold_tuning").GetProperty("from").GetString());
        Assert.Equal(train.Length, results.GetProperty("threshold_tuning").GetProperty("count").GetInt32());
        Assert.Equal(threshold, results.GetProperty("decision_threshold").GetDouble());
        var oof = results.GetProperty("out_of_fold");
        int tp = scored.Count(s => s.P >= threshold && s.Yes), fp = scored.Count(s => s.P >= threshold && !s.Yes);
        int fn = scored.Count(s => s.P < threshold && s.Yes), tn = scored.Length - tp - fp - fn;
        Assert.Equal(JsonSerializer.Serialize(new[] { new[] { tn, fp }, new[] { fn, tp } }), JsonSerializer.Serialize(oof.GetProperty("confusion_matrix")));
        // ROC-AUC of the out-of-fold probabilities, counted pair by pair.
        var pos = scored.Where(s => s.Yes).ToArray();
        var neg = scored.Where(s => !s.Yes).ToArray();
        double auc = pos.Sum(p => neg.Sum(n => p.P > n.P ? 1.0 : p.P == n.P ? 0.5 : 0)) / (pos.Length * (double)neg.Length);
        Assert.Equal(auc, oof.GetProperty("roc_auc").GetDouble(), 9);
        var memberRows = results.GetProperty("members").EnumerateArray().ToArray();
        Assert.Equal(Folds, memberRows.Length);
        for (int i = 0; i < Folds; i++)
        {
            Assert.Equal($"member-{i}", memberRows[i].GetProperty("folder").GetString());
            Assert.Equal(foldOf.Count(f => f == i), memberRows[i].GetProperty("held_out").GetInt32());
            Assert.Equal(train.Length - foldOf.Count(f => f == i), memberRows[i].GetProperty("train_count").GetInt32());
        }

        // Evaluate on the test part: the averaged probabilities decided at the threshold, as the members give them.
        var test = NoisyKeywordTask(45, 2);
        var metrics = loaded.Evaluate(test);
        var testP = test.Select(e => (P: members.Average(m => m.Predict([e.Text])[0].Probabilities["yes"]), Yes: e.Label == "yes")).ToArray();
        Assert.Equal(testP.Count(s => (s.P >= threshold) == s.Yes) / (double)test.Count, metrics.Accuracy, 12);
        var tpos = testP.Where(s => s.Yes).ToArray();
        var tneg = testP.Where(s => !s.Yes).ToArray();
        Assert.Equal(tpos.Sum(p => tneg.Sum(n => p.P > n.P ? 1.0 : p.P == n.P ? 0.5 : 0)) / (tpos.Length * (double)tneg.Length), metrics.RocAuc!.Value, 9);
        Assert.Equal(metrics.Accuracy, trained.Scores["test"].Accuracy);

        // Explaining: weights still sum to 1, and the evidence to the members' mean margin, on a text every member
        // reads as "yes" (so each member's own explanation contrasts the same two classes).
        string text = new[] { "music zebra ocean", "zebra music", "zebra", "zebra zebra zebra" }
            .First(c => members.All(m => m.Predict([c])[0].Label == "yes"));
        var why = loaded.Explain(text);
        Assert.Equal("yes", why.Prediction.Label);
        Assert.Equal(1.0, why.Tokens.Sum(t => t.Weight), 6);
        var memberWhy = members.Select(m => m.Explain(text)).ToArray();
        Assert.Equal(memberWhy.Average(w => w.Tokens.Sum(t => t.Evidence)), why.Tokens.Sum(t => t.Evidence), 5);
        Assert.Equal(text, string.Concat(why.Tokens.Where(t => t.End > t.Start).Select(t => t.Token)));
    }

    [Fact]
    public void WithAValidationPartTheThresholdIsChosenThereAndOutOfFoldIsStillReported()
    {
        using var tmp = new TempDir();
        var valid = NoisyKeywordTask(45, 5);
        var trained = TextClassifier.Train(Options(tmp.Path, [.. NoisyKeywordTask(90, 4)]) with
        {
            Data = new ClassificationSplit(NoisyKeywordTask(90, 4), valid, []), EnsembleFolds = 2, Epochs = 3,
        });
        var scored = trained.Predict([.. valid.Select(e => e.Text)]).Select((p, i) => (P: p.Probabilities["yes"], Yes: valid[i].Label == "yes")).ToArray();
        Assert.Equal(scored.Select(s => F1(scored, s.P)).Max(), F1(scored, trained.Threshold!.Value), 12);
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(tmp.Path, "results.json"))).RootElement;
        Assert.Equal("valid", results.GetProperty("threshold_tuning").GetProperty("from").GetString());
        Assert.Equal(90, results.GetProperty("out_of_fold").GetProperty("count").GetInt32());
    }

    [Fact]
    public void AResumedEnsembleEndsWhereAnUninterruptedOneDoes()
    {
        using var straight = new TempDir();
        using var interrupted = new TempDir();
        var train = NoisyKeywordTask(60, 6).ToArray();
        TextClassifierOptions Run(string dir) => Options(dir, train) with
        {
            EnsembleFolds = 2, Epochs = 3,
            Encoder = v => EncoderConfig.Tiny(v) with { DModel = 32, NumHeads = 2, NumLayers = 1, DimFeedforward = 64, Dropout = 0.1 },
        };
        string[] probe = ["zebra river", "apple stone quiet", "dance"];
        var expected = TextClassifier.Train(Run(straight.Path)).Predict(probe);
        TextClassifier.Train(Run(interrupted.Path) with { MaxSteps = 2 });   // each member stops after 2 of its 6 steps
        int steps = 0;
        var resumed = TextClassifier.Train(Run(interrupted.Path) with { Resume = true, StepCompleted = (_, _) => steps++ });
        Assert.Equal(2 * (6 - 2), steps);   // 30 texts per member in batches of 16: 2 steps an epoch, 3 epochs
        steps = 0;
        var again = TextClassifier.Train(Run(interrupted.Path) with { Resume = true, StepCompleted = (_, _) => steps++ });
        Assert.Equal(0, steps);   // finished members reload their weights
        for (int t = 0; t < probe.Length; t++)
        {
            Assert.Equal(expected[t].Probabilities["yes"], resumed.Predict(probe)[t].Probabilities["yes"], 12);
            Assert.Equal(expected[t].Probabilities["yes"], again.Predict(probe)[t].Probabilities["yes"], 12);
        }
    }

    [Fact]
    public void BadFoldCountsAreRefusedWithTheOptionNamed()
    {
        using var tmp = new TempDir();
        var train = NoisyKeywordTask(30, 7).ToArray();   // 10 "yes"... give or take the flipped labels
        int smallest = train.GroupBy(e => e.Label).Min(g => g.Count());
        foreach (int k in new[] { 0, -2, smallest + 1 })
            Assert.Contains("ensemble folds", Assert.Throws<ArgumentException>(() => TextClassifier.Train(Options(tmp.Path, train) with { EnsembleFolds = k })).Message);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "member-0")));
    }
}
