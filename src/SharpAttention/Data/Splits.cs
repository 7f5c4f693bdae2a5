namespace SharpAttention.Data;

/// <summary>Train/dev/test splits (torch.utils.data.random_split).</summary>
public static class Splits
{
    /// <summary>Splits <paramref name="items"/> into parts of the given sizes after a seeded shuffle; the sizes
    /// must add up to the item count.</summary>
    public static T[][] RandomSplit<T>(IReadOnlyList<T> items, IReadOnlyList<int> sizes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(sizes);
        long total = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"random_split: negative part size {s}", nameof(sizes));
            total += s;
        }
        if (total != items.Count)
            throw new ArgumentException($"random_split: part sizes [{string.Join(", ", sizes)}] add up to {total}, but there are {items.Count} items", nameof(sizes));
        var order = Shuffling.Permutation(items.Count, seed);
        var parts = new T[sizes.Count][];
        int at = 0;
        for (int p = 0; p < sizes.Count; p++)
        {
            parts[p] = new T[sizes[p]];
            for (int i = 0; i < sizes[p]; i++) parts[p][i] = items[order[at++]];
        }
        return parts;
    }

    /// <summary>As above with fractions (e.g. 0.8, 0.1, 0.1) that sum to 1; rounding remainders go to the first
    /// parts one item each, as torch does.</summary>
    public static T[][] RandomSplit<T>(IReadOnlyList<T> items, IReadOnlyList<double> fractions, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        double sum = fractions.Sum();
        if (fractions.Any(f => !(f >= 0)) || Math.Abs(sum - 1) > 1e-9)
            throw new ArgumentException($"random_split: fractions [{string.Join(", ", fractions)}] must be non-negative and sum to 1", nameof(fractions));
        var sizes = fractions.Select(f => (int)Math.Floor(f * items.Count)).ToArray();
        int remainder = items.Count - sizes.Sum();
        for (int i = 0; i < remainder; i++) sizes[i % sizes.Length]++;
        return RandomSplit(items, sizes, seed);
    }
}
