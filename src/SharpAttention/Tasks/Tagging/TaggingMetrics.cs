namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// Scores of a tagger against gold tags, accumulated sentence by sentence: token accuracy, accuracy on words the
/// training data never showed (the number that says whether rare words are handled, DATA.md's Brown protocol),
/// per-tag precision / recall / F1, the most confused (gold, predicted) pairs and — for BIO/BIOES tag sets — span-level
/// precision / recall / F1 as the CoNLL shared tasks' conlleval computes them: a predicted span counts only when a
/// gold span has the same type and both boundaries (<see cref="TagSchemes.Spans"/> says how tags read as spans).
/// </summary>
public sealed partial class TaggingMetrics
{
    readonly IReadOnlySet<string>? trainingWords;
    readonly Dictionary<string, (long Tp, long Fp, long Fn)> perTag = new(StringComparer.Ordinal);
    readonly Dictionary<(string Gold, string Predicted), long> confusions = [];
    readonly Dictionary<string, (long Correct, long Found, long Gold)> perType = new(StringComparer.Ordinal);

    /// <param name="scheme">BIO/BIOES for span metrics, None for plain tags</param>
    /// <param name="trainingWords">the words of the training data (case as written); null: no unseen-word accuracy</param>
    public TaggingMetrics(TagScheme scheme, IReadOnlySet<string>? trainingWords = null) =>
        (Scheme, this.trainingWords) = (scheme, trainingWords);

    public TagScheme Scheme { get; }
    public long Count { get; private set; }
    public long Correct { get; private set; }
    public long UnseenCount { get; private set; }
    public long UnseenCorrect { get; private set; }
    public long Sentences { get; private set; }

    public double Accuracy => Ratio(Correct, Count);

    /// <summary>Accuracy over the words not in the training words (NaN when there were none, or no training words given).</summary>
    public double UnseenAccuracy => Ratio(UnseenCorrect, UnseenCount);

    /// <summary>Adds one sentence's gold and predicted tags.</summary>
    public void Update(IReadOnlyList<string> words, IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(predicted);
        if (gold.Count != words.Count || predicted.Count != words.Count)
            throw new ArgumentException($"tagging metrics: {words.Count} words, {gold.Count} gold and {predicted.Count} predicted tags; need one of each per word");
        Sentences++;
        for (int i = 0; i < words.Count; i++)
        {
            bool right = gold[i] == predicted[i];
            Count++;
            if (right) Correct++;
            if (trainingWords != null && !trainingWords.Contains(words[i]))
            {
                UnseenCount++;
                if (right) UnseenCorrect++;
            }
            if (right) Bump(perTag, gold[i], (1, 0, 0));
            else
            {
                Bump(perTag, gold[i], (0, 0, 1));
                Bump(perTag, predicted[i], (0, 1, 0));
                confusions[(gold[i], predicted[i])] = confusions.GetValueOrDefault((gold[i], predicted[i])) + 1;
            }
        }
        if (Scheme == TagScheme.None) return;
        var goldSpans = TagSchemes.Spans(gold);
        var found = TagSchemes.Spans(predicted);
        var goldSet = goldSpans.ToHashSet();
        foreach (var span in found) Bump(perType, span.Type, (goldSet.Contains(span) ? 1 : 0, 1, 0));
        foreach (var span in goldSpans) Bump(perType, span.Type, (0, 0, 1));
    }

    /// <summary>The tags seen in gold or predictions, in ordinal order.</summary>
    public IReadOnlyList<string> Tags => [.. perTag.Keys.Order(StringComparer.Ordinal)];

    public double Precision(string tag) => perTag.TryGetValue(tag, out var c) ? Ratio(c.Tp, c.Tp + c.Fp) : 0;
    public double Recall(string tag) => perTag.TryGetValue(tag, out var c) ? Ratio(c.Tp, c.Tp + c.Fn) : 0;
    public double F1(string tag) => F(Precision(tag), Recall(tag));

    /// <summary>Gold occurrences of <paramref name="tag"/>.</summary>
    public long Support(string tag) => perTag.TryGetValue(tag, out var c) ? c.Tp + c.Fn : 0;

    /// <summary>The <paramref name="top"/> most frequent (gold, predicted, count) errors, most frequent first, ties in
    /// ordinal order of the tags.</summary>
    public IReadOnlyList<(string Gold, string Predicted, long Count)> MostConfused(int top = 10) =>
        [.. confusions.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Gold, StringComparer.Ordinal).ThenBy(p => p.Key.Predicted, StringComparer.Ordinal)
            .Take(top).Select(p => (p.Key.Gold, p.Key.Predicted, p.Value))];

    /// <summary>Span types seen in gold or predictions, in ordinal order (BIO/BIOES only).</summary>
    public IReadOnlyList<string> SpanTypes => [.. perType.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Correctly found, found (predicted) and gold spans, of one type or (null) of all.</summary>
    public (long Correct, long Found, long Gold) SpanCounts(string? type = null) =>
        type != null ? perType.GetValueOrDefault(type)
            : (perType.Values.Sum(c => c.Correct), perType.Values.Sum(c => c.Found), perType.Values.Sum(c => c.Gold));

    /// <summary>conlleval's precision: correct / found spans (0 when nothing was found).</summary>
    public double SpanPrecision(string? type = null) { var c = SpanCounts(type); return c.Found == 0 ? 0 : (double)c.Correct / c.Found; }

    /// <summary>conlleval's recall: correct / gold spans (0 without gold spans).</summary>
    public double SpanRecall(string? type = null) { var c = SpanCounts(type); return c.Gold == 0 ? 0 : (double)c.Correct / c.Gold; }

    public double SpanF1(string? type = null) => F(SpanPrecision(type), SpanRecall(type));

    static void Bump<TKey>(Dictionary<TKey, (long, long, long)> counts, TKey key, (long A, long B, long C) add) where TKey : notnull
    {
        var (a, b, c) = counts.GetValueOrDefault(key);
        counts[key] = (a + add.A, b + add.B, c + add.C);
    }

    static double Ratio(long a, long b) => b == 0 ? double.NaN : (double)a / b;

    // conlleval: F1 = 2PR / (P + R), 0 when both are 0; a NaN precision or recall (no predictions / no gold) counts as 0.
    static double F(double p, double r)
    {
        p = double.IsNaN(p) ? 0 : p;
        r = double.IsNaN(r) ? 0 : r;
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }
}
