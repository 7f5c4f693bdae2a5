namespace SharpAttention.Tasks.Tagging;

/// <summary>
/// Word dropout for training a tagger (Kiperwasser and Goldberg 2016; Lample et al. 2016's unk replacement): each word
/// of a row has its sub-token ids replaced by &lt;unk&gt; with probability <see cref="Rate"/>, so the model learns to tag
/// unknown words from their characters and their context. The draw depends only on the seed, the row and the epoch:
/// a resumed run drops the words an uninterrupted one drops, whatever the batch order or thread count.
/// </summary>
public sealed class WordDropout(double rate, int unkId, ulong seed)
{
    public double Rate { get; } = rate is >= 0 and < 1 ? rate : throw new ArgumentOutOfRangeException(nameof(rate), $"word dropout must be in [0, 1), got {rate}");

    /// <summary>The row with some words' ids set to &lt;unk&gt; (the row itself when the rate is 0).</summary>
    /// <param name="row">the aligned row</param>
    /// <param name="index">the row's index in the training rows</param>
    /// <param name="epoch">the epoch (0-based)</param>
    public AlignedRow Apply(AlignedRow row, int index, int epoch)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (Rate == 0) return row;
        var random = new Random(Mix(seed, index, epoch));
        int[]? ids = null;
        for (int w = 0; w < row.WordCount; w++)
        {
            if (random.NextDouble() >= Rate) continue;
            ids ??= (int[])row.Ids.Clone();
            int end = w + 1 < row.WordCount ? row.WordStarts[w + 1] : row.Ids.Length - 1;   // the last word ends before [SEP]
            ids.AsSpan(row.WordStarts[w], end - row.WordStarts[w]).Fill(unkId);
        }
        return ids is null ? row : row with { Ids = ids };
    }

    // SplitMix64's finaliser over the three numbers (HashCode is salted per process, so it cannot seed a resumable run).
    static int Mix(ulong seed, int index, int epoch)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(uint)index + 0xBF58476D1CE4E5B9UL * (ulong)(uint)(epoch + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }
}
