namespace SharpAttention.Decoding;

/// <summary>
/// The best path through per-position scores under hard transition constraints (Viterbi 1967; the decoding a CRF
/// tagger does with its transition scores, here with only allowed / forbidden transitions): used to keep a tagger's
/// BIO/BIOES output well formed, e.g. no I-X after O.
/// </summary>
public static class Viterbi
{
    /// <summary>
    /// The tag sequence with the largest summed score among those whose first tag is allowed at the start, each
    /// transition allowed, and last tag allowed at the end. Ties go to the lower tag index at the latest position.
    /// When no sequence satisfies the constraints, each position's best tag is returned (unconstrained argmax).
    /// </summary>
    /// <param name="scores">(T, C) row-major, e.g. log-probabilities of each tag at each position</param>
    /// <param name="numTags">C</param>
    /// <param name="allowed">(C, C): allowed[prev, next]</param>
    /// <param name="allowedStart">(C), or null for all</param>
    /// <param name="allowedEnd">(C), or null for all</param>
    public static int[] Decode(ReadOnlySpan<double> scores, int numTags, bool[,] allowed, bool[]? allowedStart = null, bool[]? allowedEnd = null)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (numTags <= 0 || scores.Length % numTags != 0)
            throw new ArgumentException($"Viterbi: {scores.Length} scores are not (T, {numTags})", nameof(scores));
        if (allowed.GetLength(0) != numTags || allowed.GetLength(1) != numTags)
            throw new ArgumentException($"Viterbi: transitions are ({allowed.GetLength(0)}, {allowed.GetLength(1)}), expected ({numTags}, {numTags})", nameof(allowed));
        int t = scores.Length / numTags;
        if (t == 0) return [];
        // best[i, c]: best score of a valid prefix ending in tag c at position i (−∞: none); back[i, c]: its previous tag.
        var best = new double[t, numTags];
        var back = new int[t, numTags];
        for (int c = 0; c < numTags; c++) best[0, c] = allowedStart is null || allowedStart[c] ? scores[c] : double.NegativeInfinity;
        for (int i = 1; i < t; i++)
            for (int c = 0; c < numTags; c++)
            {
                double top = double.NegativeInfinity;
                int arg = -1;
                for (int p = 0; p < numTags; p++)
                    if (allowed[p, c] && best[i - 1, p] > top) (top, arg) = (best[i - 1, p], p);
                best[i, c] = arg < 0 ? double.NegativeInfinity : top + scores[i * numTags + c];
                back[i, c] = arg;
            }
        int last = -1;
        double end = double.NegativeInfinity;
        for (int c = 0; c < numTags; c++)
            if ((allowedEnd is null || allowedEnd[c]) && best[t - 1, c] > end) (end, last) = (best[t - 1, c], c);
        var path = new int[t];
        if (last < 0)
        {
            for (int i = 0; i < t; i++) path[i] = ArgMax(scores.Slice(i * numTags, numTags));
            return path;
        }
        path[t - 1] = last;
        for (int i = t - 1; i > 0; i--) path[i - 1] = back[i, path[i]];
        return path;
    }

    static int ArgMax(ReadOnlySpan<double> row)
    {
        int arg = 0;
        for (int c = 1; c < row.Length; c++)
            if (row[c] > row[arg]) arg = c;
        return arg;
    }
}
