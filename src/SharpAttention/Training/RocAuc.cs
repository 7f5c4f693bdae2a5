namespace SharpAttention.Training;

/// <summary>
/// Area under the ROC curve of a binary classifier's scores (sklearn.metrics.roc_auc_score): the probability that a
/// random positive scores above a random negative, a tie counting one half. Computed from ranks (the Mann–Whitney U
/// statistic) with tied scores given their average rank, in O(n log n).
/// </summary>
public static class RocAuc
{
    /// <summary>AUC of <paramref name="scores"/> (higher = more positive) against <paramref name="positive"/>.</summary>
    /// <exception cref="ArgumentException">lengths differ, a score is NaN, or one class is absent (AUC is then
    /// undefined, as sklearn says).</exception>
    public static double Binary(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        if (scores.Length != positive.Length) throw new ArgumentException($"roc_auc: {scores.Length} scores for {positive.Length} labels");
        int n = scores.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (double.IsNaN(scores[i])) throw new ArgumentException($"roc_auc: score {i} is NaN");
            order[i] = i;
        }
        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[a].CompareTo(s[b]));
        long positives = 0;
        double rankSum = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end < n && s[order[end]] == s[order[start]]) end++;
            double averageRank = (start + 1 + end) / 2.0;                  // ranks start+1 … end share their mean
            for (int k = start; k < end; k++)
                if (positive[order[k]])
                {
                    positives++;
                    rankSum += averageRank;
                }
            start = end;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"roc_auc: needs both classes, got {positives} positive and {negatives} negative examples");
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
