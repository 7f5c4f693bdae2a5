using SharpAttention.Data;

namespace SharpAttention.Tests.Data;

/// <summary>
/// Random-window augmentation on rows whose ids say where they come from: row i is [CLS=1] 1000·i + 0 … 1000·i + n − 1
/// [SEP=2], so a window's first id gives its start and consecutive ids prove it contiguous. The expected windows are
/// enumerated by hand from the definition (every start and length allowed), not drawn by the code under test.
/// </summary>
public class RandomCropTests
{
    const int Cls = 1, Sep = 2;

    static int[] Full(int i, int n) => [Cls, .. Enumerable.Range(0, n).Select(k => 1000 * i + k), Sep];

    /// <summary>Head + tail truncation to <paramref name="maxLength"/>, written out for these rows: the row the model reads.</summary>
    static int[] Kept(int[] full, int maxLength)
    {
        int room = maxLength - 2, n = full.Length - 2;
        if (n <= room) return full;
        int head = (room + 2) / 4;
        return [Cls, .. full.Skip(1).Take(head), .. full.Skip(1 + n - (room - head)).Take(room - head), Sep];
    }

    static (int[][] Full, int[][] Kept) Rows(int maxLength, params int[] lengths)
    {
        var full = lengths.Select((n, i) => Full(i, n)).ToArray();
        return (full, full.Select(r => Kept(r, maxLength)).ToArray());
    }

    /// <summary>The window a cropped row holds: (start, length) within its text, after checking specials and contiguity.</summary>
    static (int Start, int Length) WindowOf(int[] row, int i, int n)
    {
        Assert.Equal(Cls, row[0]);
        Assert.Equal(Sep, row[^1]);
        int start = row[1] - 1000 * i, length = row.Length - 2;
        for (int k = 0; k < length; k++) Assert.Equal(1000 * i + start + k, row[1 + k]);
        Assert.InRange(start, 0, n - length);
        return (start, length);
    }

    [Fact]
    public void EveryWindowLiesInsideItsTextKeepsTheSpecialsAndOnlyAllowedWindowsOccur()
    {
        // A text of 10 tokens, within the model's room of 14, and one of 40, beyond it; minimum 3.
        const int maxLength = 16, min = 3;
        var (full, kept) = Rows(maxLength, 10, 40, 3, 2);
        var crop = new RandomCrop(1.0, min, maxLength, seed: 7);
        var seen = new[] { new HashSet<(int, int)>(), new HashSet<(int, int)>() };
        for (int epoch = 0; epoch < 20_000; epoch++)
        {
            var rows = crop.Apply(full, kept, epoch);
            for (int i = 0; i < 2; i++) seen[i].Add(WindowOf(rows[i], i, full[i].Length - 2));
            // Texts of at most the minimum are never cropped: the row the model reads, the same array.
            Assert.Same(kept[2], rows[2]);
            Assert.Same(kept[3], rows[3]);
        }
        // By the definition: lengths min..min(n − 1, maxLength − 2), every start 0..n − length; nothing else.
        static HashSet<(int, int)> Allowed(int n, int longest) =>
            [.. Enumerable.Range(min, longest - min + 1).SelectMany(l => Enumerable.Range(0, n - l + 1).Select(s => (s, l)))];
        Assert.Equal(Allowed(10, 9).Order(), seen[0].Order());
        Assert.Equal(Allowed(40, 14).Order(), seen[1].Order());
    }

    [Fact]
    public void WindowLengthsAreUniformFromTheMinimumToTheLongest()
    {
        var (full, kept) = Rows(512, Enumerable.Repeat(300, 400).ToArray());
        var crop = new RandomCrop(1.0, 32, 512, seed: 1);
        var counts = new int[4];   // quarters of the 32..299 range of lengths
        for (int epoch = 0; epoch < 20; epoch++)
            foreach (var row in crop.Apply(full, kept, epoch))
                counts[Math.Min(3, (row.Length - 2 - 32) * 4 / (299 - 32 + 1))]++;
        // 8,000 windows, 2,000 expected per quarter; a binomial standard deviation is about 39.
        Assert.All(counts, c => Assert.InRange(c, 1800, 2200));
    }

    [Fact]
    public void TheProbabilityIsTheShareOfCroppedRows()
    {
        var (full, kept) = Rows(64, Enumerable.Repeat(50, 4000).ToArray());
        var rows = new RandomCrop(0.3, 8, 64, seed: 3).Apply(full, kept, epoch: 0);
        int cropped = rows.Where((r, i) => !ReferenceEquals(r, kept[i])).Count();
        Assert.InRange(cropped, 1100, 1300);   // 1,200 expected, standard deviation 29
    }

    [Fact]
    public void AtProbabilityOneEveryTextLongerThanTheMinimumChanges()
    {
        const int maxLength = 32;
        var (full, kept) = Rows(maxLength, [.. Enumerable.Range(5, 200)]);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            var rows = new RandomCrop(1.0, 4, maxLength, seed: 11).Apply(full, kept, epoch);
            for (int i = 0; i < rows.Length; i++) Assert.False(rows[i].SequenceEqual(kept[i]), $"epoch {epoch}: row {i} unchanged");
        }
    }

    [Fact]
    public void TheSameSeedAndEpochGiveTheSameWindowsAndOthersDoNot()
    {
        var (full, kept) = Rows(128, [.. Enumerable.Range(40, 100)]);
        int[][] Draw(ulong seed, int epoch) => new RandomCrop(0.5, 16, 128, seed).Apply(full, kept, epoch);
        var first = Draw(42, 2);
        Assert.Equal(first, Draw(42, 2));
        Assert.NotEqual(first, Draw(42, 3));
        Assert.NotEqual(first, Draw(43, 2));
    }

    [Fact]
    public void BadSettingsAreRefusedWithTheirRange()
    {
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(0, 4, 32, 1)).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(1.5, 4, 32, 1)).Message);
        Assert.Contains("(0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(double.NaN, 4, 32, 1)).Message);
        Assert.Contains("1..30", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(0.5, 0, 32, 1)).Message);
        Assert.Contains("1..30", Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(0.5, 31, 32, 1)).Message);
        new RandomCrop(0.5, 30, 32, 1);
        var (full, kept) = Rows(32, 10, 20);
        Assert.Throws<ArgumentException>(() => new RandomCrop(0.5, 4, 32, 1).Apply(full, kept[..1], 0));
    }
}
