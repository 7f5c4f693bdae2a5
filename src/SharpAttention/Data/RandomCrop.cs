using SharpAttention.Tensors;

namespace SharpAttention.Data;

/// <summary>
/// Random-window ("crop") augmentation of wrapped token rows, the text form of an image classifier's random crop: each
/// epoch, with probability <see cref="Probability"/>, a training row is replaced by a random contiguous window of its
/// text's full tokenisation, so a classifier also meets short pieces of long texts and cannot lean on length alone.
/// A row is <c>[CLS] t₀ … tₙ₋₁ [SEP]</c> (one special token at each end, kept at the ends). A cropped row keeps
/// L text tokens, L uniform in [<see cref="MinTokens"/>, min(n − 1, max_length − 2)], from a start uniform in
/// [0, n − L]: always a proper window, never longer than the model reads (so it needs no truncation). Texts of at
/// most <see cref="MinTokens"/> tokens are never cropped. Draws depend only on the seed, the epoch and the rows, not
/// on the batch order, so a resumed run crops as an uninterrupted one.
/// </summary>
public sealed class RandomCrop
{
    const ulong Salt = 0xC70B_5EED_0000_0001UL;   // keeps the crop's stream apart from the batch sampler's

    readonly int room;
    readonly ulong seed;

    public double Probability { get; }

    /// <summary>Fewest text tokens (the two specials aside) a window keeps.</summary>
    public int MinTokens { get; }

    /// <param name="probability">Chance that a row is cropped in an epoch, in (0, 1].</param>
    /// <param name="minTokens">Fewest text tokens a window keeps, 1..maxLength − 2.</param>
    /// <param name="maxLength">Most tokens per row the model reads, specials included.</param>
    /// <param name="seed">Seeds every epoch's draws.</param>
    public RandomCrop(double probability, int minTokens, int maxLength, ulong seed)
    {
        if (!(probability > 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), $"random crop: probability {probability} must lie in (0, 1]");
        if (minTokens < 1 || minTokens > maxLength - 2)
            throw new ArgumentOutOfRangeException(nameof(minTokens), $"random crop: minimum of {minTokens} tokens must lie in 1..{maxLength - 2} (max_length {maxLength} less the 2 special tokens)");
        (Probability, MinTokens, room, this.seed) = (probability, minTokens, maxLength - 2, seed);
    }

    /// <summary>Epoch <paramref name="epoch"/>'s rows: row i is a window of <paramref name="full"/>[i] (the untruncated
    /// wrapped row) when drawn, else <paramref name="kept"/>[i] (the row as the model reads it: truncated), the same
    /// array instance.</summary>
    public int[][] Apply(IReadOnlyList<int[]> full, IReadOnlyList<int[]> kept, int epoch)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(kept);
        if (full.Count != kept.Count) throw new ArgumentException($"random crop: {full.Count} full rows but {kept.Count} kept rows", nameof(kept));
        var g = new Generator(Shuffling.EpochSeed(seed ^ Salt, epoch));
        var rows = new int[kept.Count][];
        for (int i = 0; i < rows.Length; i++)
        {
            var row = full[i];
            if (row.Length < 2) throw new ArgumentException($"random crop: row {i} has {row.Length} tokens; a wrapped row has at least its 2 specials", nameof(full));
            rows[i] = g.NextDouble() < Probability && Window(row.Length - 2, g) is { } w
                ? [row[0], .. row.AsSpan(1 + w.Start, w.Length), row[^1]]
                : kept[i];
        }
        return rows;
    }

    /// <summary>The window (start, length) of a text of <paramref name="n"/> tokens, or null when it is too short to crop.</summary>
    (int Start, int Length)? Window(int n, Generator g)
    {
        if (n <= MinTokens) return null;
        int longest = Math.Min(n - 1, room);
        int length = MinTokens + (int)g.NextInt64(longest - MinTokens + 1);
        return ((int)g.NextInt64(n - length + 1), length);
    }
}
