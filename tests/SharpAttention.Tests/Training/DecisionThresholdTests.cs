using SharpAttention.Tensors;
using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

public class DecisionThresholdTests
{
    [Fact]
    public void HandWorkedBestF1Cut()
    {
        // Margins high to low with P = 3 positives; calling the top k positive gives F1 = 2·TP / (k + 3):
        // k = 1: 2/4, k = 2: 4/5, k = 3: 4/6, k = 4: 6/7 (best), k = 5: 6/8, k = 6: 6/9. The cut lies between 0.5 and −1.
        double[] scores = [3.0, 2.0, 1.0, 0.5, -1.0, -2.0];
        bool[] positive = [true, true, false, true, false, false];
        Assert.Equal(-0.25, DecisionThreshold.MaximizeF1(scores, positive), 12);
        // The order of the examples does not matter.
        Assert.Equal(-0.25, DecisionThreshold.MaximizeF1([-2.0, 0.5, 3.0, -1.0, 1.0, 2.0], [false, true, true, false, false, true]), 12);
    }

    [Fact]
    public void TiedF1TakesTheWidestGap()
    {
        // P = 2: the top one (F1 = 2/3, in a gap of 0.5 down to 5.5) ties with the top four (F1 = 4/6, in a gap of 3
        // down to −3); other cuts: k = 2 0.5, k = 3 0.4, k = 5 4/7. The wider gap wins: its middle, −1.5.
        double[] scores = [6.0, 5.5, 4.0, 0.0, -3.0];
        bool[] positive = [true, false, false, true, false];
        Assert.Equal(-1.5, DecisionThreshold.MaximizeF1(scores, positive), 12);
    }

    [Fact]
    public void EqualScoresAreNeverSplitAndAllPositiveCutsAtTheLowestScore()
    {
        // Two examples share margin 1 (one positive, one not): calling them both positive gives 2/3, the cut sits
        // between 1 and 0.
        Assert.Equal(0.5, DecisionThreshold.MaximizeF1([1.0, 1.0, 0.0], [true, false, false]), 12);
        // Every example positive: the best cut takes them all, so the threshold is the lowest margin itself.
        Assert.Equal(1.0, DecisionThreshold.MaximizeF1([2.0, 1.0], [true, true]), 12);
    }

    [Fact]
    public void NoCutHasABetterF1ThanTheChosenOne()
    {
        // Brute force: F1 with every observed margin as the threshold (the classes the rule "margin ≥ t" can give).
        var rng = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = rng.Next(1, 40);
            var scores = Enumerable.Range(0, n).Select(_ => Math.Round(rng.NextDouble() * 8 - 4, 1)).ToArray();
            var positive = scores.Select(s => rng.NextDouble() < 0.25 + 0.1 * s).ToArray();
            if (!positive.Contains(true)) positive[0] = true;
            static double F1(double[] s, bool[] y, double t)
            {
                int tp = 0, fp = 0, fn = 0;
                for (int i = 0; i < s.Length; i++)
                {
                    bool said = s[i] >= t;
                    if (said && y[i]) tp++;
                    else if (said) fp++;
                    else if (y[i]) fn++;
                }
                return 2.0 * tp / (2 * tp + fp + fn);
            }
            double best = scores.Max(t => F1(scores, positive, t));
            double chosen = DecisionThreshold.MaximizeF1(scores, positive);
            Assert.Equal(best, F1(scores, positive, chosen), 12);
        }
    }

    [Fact]
    public void BadScoresAreRefused()
    {
        Assert.Contains("no positive", Assert.Throws<ArgumentException>(() => DecisionThreshold.MaximizeF1([1.0, 2.0], [false, false])).Message);
        Assert.Contains("not a finite", Assert.Throws<ArgumentException>(() => DecisionThreshold.MaximizeF1([double.NaN], [true])).Message);
        Assert.Contains("2 scores for 1", Assert.Throws<ArgumentException>(() => DecisionThreshold.MaximizeF1([1.0, 2.0], [true])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DecisionThreshold.ToMargin(1.0));
    }

    [Fact]
    public void ProbabilityAndMarginAreTheLogisticPair()
    {
        Assert.Equal(0.0, DecisionThreshold.ToMargin(0.5), 12);
        Assert.Equal(Math.Log(3), DecisionThreshold.ToMargin(0.75), 12);
        Assert.Equal(0.75, DecisionThreshold.ToProbability(Math.Log(3)), 12);
    }

    [Fact]
    public void MetricsDecideByTheThresholdAndKeepTheScores()
    {
        // Margins logit₁ − logit₀: 1, −0.5, −1.5, 0.2 for targets 1, 1, 0, 0.
        var logits = Tensor.FromArray([0f, 1f, 0.5f, 0f, 1.5f, 0f, 0f, 0.2f], 4, 2);
        var targets = Tensor.FromArray(new long[] { 1, 1, 0, 0 }, 4);
        var argmax = new ClassificationMetrics(2);
        argmax.UpdateFromLogits(logits, targets);
        Assert.Equal(1, argmax.Confusion(1, 0));   // −0.5 is read as class 0
        Assert.Equal(1, argmax.Confusion(0, 1));   // 0.2 as class 1
        var cut = new ClassificationMetrics(2);
        cut.UpdateFromLogits(logits, targets, threshold: -1.0);
        Assert.Equal(2, cut.Confusion(1, 1));      // −0.5 ≥ −1 is now class 1
        Assert.Equal(1, cut.Confusion(0, 1));
        Assert.Equal(1, cut.Confusion(0, 0));      // −1.5 stays class 0
        Assert.Equal(argmax.RocAuc, cut.RocAuc);   // the ranking does not depend on the cut
        Assert.Throws<ArgumentException>(() => new ClassificationMetrics(3).UpdateFromLogits(Tensor.FromArray([0f, 1f, 2f], 1, 3), Tensor.FromArray(new long[] { 0 }, 1), 0.0));
    }

    [Fact]
    public void DecidedAgainMatchesDecidingFromTheLogits()
    {
        // The hand-worked batch above: margins 1, −0.5, −1.5, 0.2 for targets 1, 1, 0, 0.
        var logits = Tensor.FromArray([0f, 1f, 0.5f, 0f, 1.5f, 0f, 0f, 0.2f], 4, 2);
        var targets = Tensor.FromArray(new long[] { 1, 1, 0, 0 }, 4);
        var argmax = new ClassificationMetrics(2);
        argmax.UpdateFromLogits(logits, targets);
        var again = argmax.Decided(-1.0);
        Assert.Equal(2, again.Confusion(1, 1));    // −0.5 ≥ −1 is now class 1
        Assert.Equal(1, again.Confusion(0, 1));
        Assert.Equal(1, again.Confusion(0, 0));
        Assert.Equal(argmax.RocAuc, again.RocAuc);
        Assert.Equal(1, argmax.Decided(null).Confusion(1, 0));   // back to the arg-max
        // Best F1 of class 1: calling the top 2 (1, 0.2) gives 2·1/(2+2) = 0.5; the top 3 (down to −0.5) 2·2/(3+2) = 0.8;
        // all 4: 2·2/(4+2) = 0.67; the top 1: 2·1/(1+2) = 0.67. So the cut lies between −0.5 and −1.5.
        Assert.Equal(-1.0, argmax.BestF1Threshold(), 12);
        var mixed = new ClassificationMetrics(2);
        mixed.Update([1L], [1L]);
        Assert.Throws<InvalidOperationException>(() => mixed.Decided(0.0));
        Assert.Throws<InvalidOperationException>(() => new ClassificationMetrics(3).BestF1Threshold());
    }
}
