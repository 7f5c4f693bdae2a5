using SharpAttention.Data;

namespace SharpAttention.Tests.Data;

public class DataTests
{
    [Fact]
    public void PadSequencesPadsMasksAndCounts()
    {
        var b = Padding.PadSequences([[5, 6, 7], [8], []], padValue: 1);
        Assert.Equal([3, 3], b.Ids.Shape.ToArray());
        Assert.Equal([5f, 6, 7, 8, 1, 1, 1, 1, 1], b.Ids.ToArray());
        Assert.Equal([3f, 1, 0], b.Lengths.ToArray());
        Assert.Equal([0f, 0, 0, 0, 1, 1, 1, 1, 1], b.PaddingMask.ToArray());
        Assert.Equal(4, b.TokenCount);
        Assert.Equal(5, Padding.PadSequences([[1, 2]], padTo: 5).Length);
        Assert.Contains("shorter than the longest", Assert.Throws<ArgumentException>(() => Padding.PadSequences([[1, 2, 3]], padTo: 2)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchSamplerCoversEveryExampleOnce(bool shuffle)
    {
        var s = new BatchSampler(23, 5, shuffle, seed: 3);
        var batches = s.Batches(0).ToArray();
        Assert.Equal([5, 5, 5, 5, 3], batches.Select(x => x.Length));
        Assert.Equal(Enumerable.Range(0, 23), batches.SelectMany(x => x).Order());
        Assert.Equal(shuffle, !batches.SelectMany(x => x).SequenceEqual(Enumerable.Range(0, 23)));
        Assert.Equal(batches, s.Batches(0).ToArray());
        Assert.Equal(4, new BatchSampler(23, 5, shuffle, dropLast: true).Batches(0).Count());
        if (shuffle) Assert.NotEqual(batches.SelectMany(x => x), s.Batches(1).SelectMany(x => x));
    }

    [Fact]
    public void BucketingGroupsSimilarLengthsAndStaysReproducible()
    {
        var rng = new Random(1);
        var lengths = Enumerable.Range(0, 1000).Select(_ => rng.Next(1, 101)).ToArray();
        var s = new BucketBatchSampler(lengths, batchSize: 16, seed: 9, windowBatches: 20);
        var batches = s.Batches(0).ToArray();
        Assert.Equal(Enumerable.Range(0, 1000), batches.SelectMany(x => x).Order());
        Assert.All(batches, b => Assert.True(b.Length <= 16));
        double spread = batches.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        double randomSpread = new BatchSampler(1000, 16, true, 9).Batches(0).Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.True(spread < randomSpread / 5, $"bucketed spread {spread:F1} vs random {randomSpread:F1}");
        Assert.Equal(batches, s.Batches(0).ToArray());
        Assert.NotEqual(batches.Select(b => b[0]), s.Batches(1).Select(b => b[0]));
    }

    [Fact]
    public void SplittingDealsEachBatchIntoEquallyLongShares()
    {
        var rng = new Random(2);
        var lengths = Enumerable.Range(0, 999).Select(_ => rng.Next(1, 41)).ToArray();
        var inner = new BucketBatchSampler(lengths, batchSize: 16, seed: 4, windowBatches: 10);
        var whole = inner.Batches(0).ToArray();
        var shares = new SplitBatchSampler(inner, 3).Batches(0).ToArray();
        // Batch b of 16 (or the last, of 999 mod 16 = 7) becomes shares 3b, 3b+1, 3b+2, dealt round-robin.
        Assert.Equal(whole.Length * 3, shares.Length);
        for (int b = 0; b < whole.Length; b++)
        {
            var expected = new[] { 0, 1, 2 }.Select(p => whole[b].Where((_, i) => i % 3 == p).ToArray());
            Assert.Equal(expected, shares[(3 * b)..(3 * b + 3)]);
        }
        // Dealt from a length-sorted batch, the shares' longest members differ by little.
        double gap = Enumerable.Range(0, whole.Length).Average(b => shares[(3 * b)..(3 * b + 3)].Max(s => s.Max(i => lengths[i])) - shares[(3 * b)..(3 * b + 3)].Min(s => s.Max(i => lengths[i])));
        Assert.True(gap <= 1.0, $"mean gap between the shares' longest members {gap:F2}");
        // A batch shorter than the parts joins its neighbour, so every batch still makes exactly `parts` shares.
        Assert.Equal([[0, 3, 6], [1, 4], [2, 5]], new SplitBatchSampler(new BatchSampler(7, 5, shuffle: false), 3).Batches(0));
        Assert.Equal([[0, 3], [1, 4], [2], [5, 8], [6], [7]], new SplitBatchSampler(new BatchSampler(9, 5, shuffle: false), 3).Batches(0));
        Assert.Equal([[0], [1]], new SplitBatchSampler(new BatchSampler(2, 5, shuffle: false), 3).Batches(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitBatchSampler(inner, 0));
    }

    [Fact]
    public void BucketingRespectsTheTokenBudget()
    {
        var lengths = Enumerable.Range(1, 200).ToArray();
        var s = new BucketBatchSampler(lengths, batchSize: 64, seed: 1, windowBatches: 4, maxTokens: 500);
        var batches = s.Batches(0).ToArray();
        Assert.Equal(Enumerable.Range(0, 200), batches.SelectMany(x => x).Order());
        Assert.All(batches, b => Assert.True(b.Length == 1 || b.Max(i => lengths[i]) * b.Length <= 500));
    }

    [Fact]
    public void RandomSplitIsDeterministicAndDisjoint()
    {
        var items = Enumerable.Range(0, 101).ToArray();
        var parts = Splits.RandomSplit(items, [0.8, 0.1, 0.1], seed: 5);
        Assert.Equal([81, 10, 10], parts.Select(p => p.Length));
        Assert.Equal(items, parts.SelectMany(p => p).Order());
        Assert.Equal(parts, Splits.RandomSplit(items, [0.8, 0.1, 0.1], seed: 5));
        Assert.NotEqual(parts[0], Splits.RandomSplit(items, [0.8, 0.1, 0.1], seed: 6)[0]);
        Assert.Contains("add up to 100, but there are 101", Assert.Throws<ArgumentException>(() => Splits.RandomSplit(items, [50, 50], 1)).Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void LoaderKeepsTheSamplerOrder(int prefetch)
    {
        var data = Enumerable.Range(0, 50).Select(i => new[] { i, i + 1 }).ToArray();
        var sampler = new BatchSampler(50, 7, shuffle: true, seed: 2);
        var loader = new DataLoader<int[], int[]>(data, sampler, xs => xs.Select(x => x[0]).ToArray(), prefetch);
        Assert.Equal(sampler.Batches(4), loader.Epoch(4));
    }

    [Fact]
    public void LoaderPassesCollateErrorsAndStopsWhenLeftEarly()
    {
        var data = Enumerable.Range(0, 100).ToArray();
        var sampler = new BatchSampler(100, 10, shuffle: false);
        var failing = new DataLoader<int, int>(data, sampler, xs => xs[0] == 30 ? throw new FormatException("bad example 30") : xs[0], 2);
        var seen = new List<int>();
        var e = Assert.Throws<InvalidOperationException>(() => { foreach (var b in failing.Epoch(0)) seen.Add(b); });
        Assert.Contains("bad example 30", e.Message);
        Assert.Equal([0, 10, 20], seen);
        int built = 0;
        var counting = new DataLoader<int, int>(data, sampler, xs => { Interlocked.Increment(ref built); return xs[0]; }, 2);
        foreach (var b in counting.Epoch(0))
            if (b == 10) break;
        Assert.True(built <= 5, $"the producer kept going after the consumer left: {built} batches built");
    }
}
