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

    /// <summary>
    /// A stratified split (sklearn's StratifiedShuffleSplit, generalised to any number of parts): every class is
    /// divided in the given proportions on its own, so each part keeps the classes' shares. Rounding, per class of n
    /// items: part p first gets ⌊fₚ·n⌋ items, then the items left over go one each to the parts with the largest
    /// remainders fₚ·n − ⌊fₚ·n⌋, earlier parts first on ties (the largest-remainder method) — so 80/10/10 of 5 items
    /// gives 4/1/0 and of 1 item 1/0/0. Which items go where follows one seeded permutation of all items, and each
    /// part keeps that permutation's order, so classes come interleaved and the result depends only on the items,
    /// their classes and the seed.
    /// <paramref name="fractions"/> are non-negative and sum to 1 (e.g. 0.8, 0.1, 0.1; see <see cref="ParseFractions"/>).
    /// </summary>
    public static T[][] StratifiedSplit<T>(IReadOnlyList<T> items, Func<T, string> classOf, IReadOnlyList<double> fractions, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(classOf);
        ArgumentNullException.ThrowIfNull(fractions);
        if (fractions.Count == 0 || fractions.Any(f => !(f >= 0)) || Math.Abs(fractions.Sum() - 1) > 1e-9)
            throw new ArgumentException($"stratified split: fractions [{string.Join(", ", fractions)}] must be non-negative and sum to 1", nameof(fractions));
        var order = Shuffling.Permutation(items.Count, seed);
        var byClass = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (int i in order)
        {
            var c = classOf(items[i]);
            if (!byClass.TryGetValue(c, out var members)) byClass[c] = members = [];
            members.Add(i);
        }
        var partOf = new int[items.Count];
        foreach (var members in byClass.Values)
        {
            var sizes = LargestRemainder(members.Count, fractions);
            int at = 0;
            for (int p = 0; p < sizes.Length; p++)
                for (int k = 0; k < sizes[p]; k++) partOf[members[at++]] = p;
        }
        var parts = Enumerable.Range(0, fractions.Count).Select(_ => new List<T>()).ToArray();
        foreach (int i in order) parts[partOf[i]].Add(items[i]);
        return [.. parts.Select(p => p.ToArray())];
    }

    /// <summary>Part sizes for <paramref name="count"/> items: floors first, then one more each to the largest
    /// remainders (earlier parts on ties).</summary>
    public static int[] LargestRemainder(int count, IReadOnlyList<double> fractions)
    {
        // The epsilon keeps 0.29 · 100 = 28.999999999999996 from losing its item to rounding.
        var sizes = fractions.Select(f => (int)Math.Floor(f * count + 1e-9)).ToArray();
        int left = count - sizes.Sum();
        var byRemainder = Enumerable.Range(0, sizes.Length)
            .OrderByDescending(p => fractions[p] * count - sizes[p]).ThenBy(p => p).ToArray();
        for (int k = 0; k < left; k++) sizes[byRemainder[k % sizes.Length]]++;
        return sizes;
    }

    /// <summary>"80/10/10" (or "8/1/1", "0.8/0.2") → fractions of the parts' sum: 0.8, 0.1, 0.1.</summary>
    public static double[] ParseFractions(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = spec.Split('/');
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !(values[i] >= 0) || double.IsInfinity(values[i]))
                throw new FormatException($"split '{spec}': '{parts[i]}' is not a non-negative number; write the parts' shares as e.g. 80/10/10");
        double sum = values.Sum();
        if (parts.Length < 2 || !(sum > 0)) throw new FormatException($"split '{spec}': give at least two shares with a positive sum, e.g. 80/20 or 80/10/10");
        return [.. values.Select(v => v / sum)];
    }
}
