using System.Text.Json.Nodes;
using SharpAttention.Tensors;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

public class ClassificationReportTests
{
    // ham = 0, spam = 1. True ham: 5 right, 1 called spam; true spam: 2 missed, 2 caught.
    //               confusion  predicted ham  predicted spam
    //               true ham        5              1
    //               true spam       2              2
    static ClassificationMetrics SpamExample()
    {
        var m = new ClassificationMetrics(2);
        m.Update([0L, 0, 0, 0, 0, 1, 0, 0, 1, 1], [0L, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
        return m;
    }

    [Fact]
    public void PerClassMacroAndMicroFromAHandWorkedConfusionMatrix()
    {
        var m = SpamExample();
        Assert.Equal((5L, 1L, 2L, 2L), (m.Confusion(0, 0), m.Confusion(0, 1), m.Confusion(1, 0), m.Confusion(1, 1)));
        Assert.Equal((6L, 4L), (m.Support(0), m.Support(1)));
        Assert.Equal(0.7, m.Accuracy, 12);
        Assert.Equal(5.0 / 7, m.Precision(0), 12);
        Assert.Equal(5.0 / 6, m.Recall(0), 12);
        Assert.Equal(10.0 / 13, m.F1(0), 12);   // 2·(5/7)(5/6) / (5/7 + 5/6)
        Assert.Equal(2.0 / 3, m.Precision(1), 12);
        Assert.Equal(0.5, m.Recall(1), 12);
        Assert.Equal(4.0 / 7, m.F1(1), 12);     // 2·(2/3)(1/2) / (2/3 + 1/2)
        Assert.Equal((10.0 / 13 + 4.0 / 7) / 2, m.MacroF1, 12);
        Assert.Equal((5.0 / 7 + 2.0 / 3) / 2, m.MacroPrecision, 12);
        Assert.Equal(2.0 / 3, m.MacroRecall, 12);
        Assert.Equal(0.7, m.MicroF1, 12);
        Assert.Null(m.RocAuc);   // predictions alone carry no scores
    }

    [Fact]
    public void RocAucOfSklearnsDocumentedExample()
    {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75: of the four (positive, negative) pairs, only
        // 0.35 < 0.4 is ordered wrongly.
        Assert.Equal(0.75, RocAuc.Binary([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
        // A tie between a positive and a negative counts one half: pairs (0.5 vs 0.5) = ½, (0.5 vs 0.2) = 1 → 3/4.
        Assert.Equal(0.75, RocAuc.Binary([0.2, 0.5, 0.5], [false, false, true]), 12);
        Assert.Throws<ArgumentException>(() => RocAuc.Binary([0.2, 0.5], [true, true]));
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 40)]
    [InlineData(3, 301)]
    public void RocAucEqualsABruteForcePairCountWithTies(int seed, int n)
    {
        var rng = new Random(seed);
        // Scores on a coarse grid so that many are tied, within and across classes.
        var scores = Enumerable.Range(0, n).Select(_ => rng.Next(6) / 5.0).ToArray();
        var positive = Enumerable.Range(0, n).Select(i => i == 0 || (i != 1 && rng.Next(3) == 0)).ToArray();
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (positive[i] && !positive[j])
                {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
        Assert.Equal(wins / pairs, RocAuc.Binary(scores, positive), 12);
    }

    [Fact]
    public void TwoClassLogitsFeedRocAucByTheirDifference()
    {
        var m = new ClassificationMetrics(2, ignoreIndex: -1);
        // Differences logit₁ − logit₀: 1, −2, 0.5, 3 (the last one ignored); targets 1, 0, 0, pad.
        m.UpdateFromLogits(Tensor.FromArray([0f, 1f, 2f, 0f, 0f, 0.5f, 0f, 3f], 4, 2), Tensor.FromArray(new long[] { 1, 0, 0, -1 }, 4));
        Assert.Equal(1.0, m.RocAuc!.Value, 12);   // the positive (1) outscores both negatives (−2, 0.5)
        m.UpdateFromLogits(Tensor.FromArray([0f, -3f], 1, 2), Tensor.FromArray(new long[] { 1 }, 1));
        Assert.Equal(0.5, m.RocAuc!.Value, 12);   // the new positive (−3) loses to both: 2 of 4 pairs right
        m.Reset();
        Assert.Null(m.RocAuc);
    }

    [Fact]
    public void JsonHoldsEveryMetricUnderItsLabel()
    {
        var json = SpamExample().ToJson(["ham", "spam"]);
        Assert.Equal(10, (long)json["count"]!);
        Assert.Equal(0.7, (double)json["accuracy"]!, 12);
        Assert.Equal((10.0 / 13 + 4.0 / 7) / 2, (double)json["macro_f1"]!, 12);
        Assert.Equal(0.7, (double)json["micro_f1"]!, 12);
        Assert.False(json.ContainsKey("roc_auc"));
        Assert.Equal(["ham", "spam"], json["labels"]!.AsArray().Select(n => (string)n!));
        var spam = json["per_class"]!["spam"]!;
        Assert.Equal(2.0 / 3, (double)spam["precision"]!, 12);
        Assert.Equal(0.5, (double)spam["recall"]!, 12);
        Assert.Equal(4.0 / 7, (double)spam["f1"]!, 12);
        Assert.Equal(4L, (long)spam["support"]!);
        Assert.Equal("[[5,1],[2,2]]", json["confusion_matrix"]!.ToJsonString());
        Assert.Throws<ArgumentException>(() => SpamExample().ToJson(["only one"]));
    }

    [Fact]
    public void ConfusionTableAlignsLabelsAndCounts()
    {
        Assert.Equal(
            "true \\ predicted  ham  spam\n" +
            "ham                 5     1\n" +
            "spam                2     2\n",
            SpamExample().ConfusionTable(["ham", "spam"]));
        var wide = new ClassificationMetrics(2);
        wide.Update(Enumerable.Repeat(0L, 1234).ToArray(), Enumerable.Repeat(0L, 1234).ToArray());
        Assert.Equal(
            "true \\ predicted     0  1\n" +
            "0                 1234  0\n" +
            "1                    0  0\n",
            wide.ConfusionTable());
    }
}
