namespace SharpAttention.Training;

/// <summary>
/// The decision threshold of a two-class classifier chosen on held-out scores, as scikit-learn's
/// TunedThresholdClassifierCV does with scoring="f1": the cut that maximises the positive class's F1. Scores are
/// logit margins (logit of the positive class minus the other's, i.e. log(p / (1 − p))), so probabilities saturated
/// to 1 still order; an example is called positive when its margin is at least the threshold.
/// </summary>
public static class DecisionThreshold
{
    /// <summary>
    /// The margin threshold with the best F1 of the positive class on <paramref name="scores"/>. F1 only changes where
    /// the cut passes a score, so every cut between two neighbouring distinct scores is tried (and one below them all);
    /// of the cuts with the best F1 the one in the widest gap is taken, and the threshold is the middle of that gap,
    /// leaving the largest room on both sides for the scores of unseen examples.
    /// </summary>
    /// <exception cref="ArgumentException">lengths differ, a score is not finite, or there is no positive example.</exception>
    public static double MaximizeF1(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        if (scores.Length != positive.Length) throw new ArgumentException($"threshold: {scores.Length} scores for {positive.Length} labels");
        int n = scores.Length;
        long positives = 0;
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"threshold: score {i} is {scores[i]}, not a finite margin");
            if (positive[i]) positives++;
        }
        if (positives == 0) throw new ArgumentException("threshold: no positive example among the held-out scores, so F1 cannot choose a cut");
        var s = scores.ToArray();
        var order = Enumerable.Range(0, n).OrderByDescending(i => s[i]).ToArray();

        // Calling the top k examples positive (k at the end of a run of equal scores): F1 = 2·TP / (k + positives).
        double bestF1 = -1, bestGap = -1, threshold = 0;
        long truePositives = 0;
        for (int k = 0; k < n;)
        {
            double value = s[order[k]];
            while (k < n && s[order[k]] == value) truePositives += positive[order[k++]] ? 1 : 0;
            double f1 = 2.0 * truePositives / (k + positives);
            // The cut lies between this score and the next lower one; below the lowest score the gap is open (0 wide).
            double below = k < n ? s[order[k]] : value, gap = value - below;
            if (f1 > bestF1 || (f1 == bestF1 && gap > bestGap))
                (bestF1, bestGap, threshold) = (f1, gap, k < n ? (value + below) / 2 : value);
        }
        return threshold;
    }

    /// <summary>The probability of the positive class that a margin threshold stands for: 1 / (1 + e^−margin).</summary>
    public static double ToProbability(double margin) => 1 / (1 + Math.Exp(-margin));

    /// <summary>The margin log(p / (1 − p)) of a probability threshold in (0, 1).</summary>
    public static double ToMargin(double probability) =>
        probability is > 0 and < 1 ? Math.Log(probability / (1 - probability))
            : throw new ArgumentOutOfRangeException(nameof(probability), $"threshold: {probability} is not a probability strictly between 0 and 1");
}
