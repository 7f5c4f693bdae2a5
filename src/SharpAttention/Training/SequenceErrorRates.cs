namespace SharpAttention.Training;

/// <summary>
/// Streaming error rates of predicted symbol sequences against one or more reference sequences each, as used for
/// grapheme-to-phoneme conversion (../shared/DATA.md): <b>WER</b> (word error rate) = share of items whose prediction
/// equals none of its references; <b>PER</b> (phoneme/symbol error rate) = Σ edit distance to the closest reference
/// ÷ Σ length of that reference. The closest reference is the one at the smallest Levenshtein distance (insertions,
/// deletions and substitutions cost 1); among equally close ones the first listed is taken.
/// </summary>
public sealed class SequenceErrorRates
{
    /// <summary>Items added.</summary>
    public long Count { get; private set; }

    /// <summary>Items whose prediction matched no reference.</summary>
    public long WordErrors { get; private set; }

    /// <summary>Σ edit distance to the closest reference.</summary>
    public long SymbolErrors { get; private set; }

    /// <summary>Σ length of the closest reference.</summary>
    public long ReferenceSymbols { get; private set; }

    /// <summary>Word error rate in [0, 1]; 0 when nothing was added.</summary>
    public double WordErrorRate => Count == 0 ? 0 : (double)WordErrors / Count;

    /// <summary>Symbol (phoneme) error rate; can exceed 1 when predictions are much longer than the references.</summary>
    public double SymbolErrorRate => ReferenceSymbols == 0 ? 0 : (double)SymbolErrors / ReferenceSymbols;

    /// <summary>Adds one item; returns the edit distance to its closest reference (0 = correct).</summary>
    public int Add<T>(IReadOnlyList<T> prediction, IReadOnlyList<IReadOnlyList<T>> references)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0) throw new ArgumentException("error rates: an item needs at least one reference", nameof(references));
        int best = int.MaxValue, bestLength = 0;
        foreach (var reference in references)
        {
            int distance = EditDistance(prediction, reference);
            if (distance < best) (best, bestLength) = (distance, reference.Count);
        }
        Count++;
        if (best != 0) WordErrors++;
        SymbolErrors += best;
        ReferenceSymbols += bestLength;
        return best;
    }

    /// <summary>Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b.</summary>
    public static int EditDistance<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var comparer = EqualityComparer<T>.Default;
        Span<int> row = b.Count < 256 ? stackalloc int[b.Count + 1] : new int[b.Count + 1];
        for (int j = 0; j <= b.Count; j++) row[j] = j;
        for (int i = 1; i <= a.Count; i++)
        {
            int diagonal = row[0];   // D[i-1, j-1]
            row[0] = i;
            for (int j = 1; j <= b.Count; j++)
            {
                int above = row[j];  // D[i-1, j]
                int substitute = diagonal + (comparer.Equals(a[i - 1], b[j - 1]) ? 0 : 1);
                row[j] = Math.Min(substitute, Math.Min(above + 1, row[j - 1] + 1));
                diagonal = above;
            }
        }
        return row[b.Count];
    }
}
