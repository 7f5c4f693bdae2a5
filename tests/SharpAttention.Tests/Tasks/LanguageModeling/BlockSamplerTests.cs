using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.LanguageModeling;

public class BlockSamplerTests
{
    /// <summary>Every target position (1 … N−1) an epoch's blocks predict, counted.</summary>
    static int[] Coverage(BlockSampler sampler, int epoch)
    {
        var hits = new int[sampler.TokenCount];
        foreach (var batch in sampler.Batches(epoch))
            foreach (long start in batch)
                for (int t = 1; t <= sampler.Context; t++) hits[start + t]++;
        return hits;
    }

    [Theory]
    [InlineData(1000, 16, 5)]
    [InlineData(1001, 10, 7)]    // N − 1 divisible by C: no slack, offset 0
    [InlineData(50, 49, 1)]
    [InlineData(977, 1, 64)]
    public void Each_epoch_predicts_every_token_at_most_once_and_all_but_fewer_than_context_exactly_once(int n, int context, int batch)
    {
        var sampler = new BlockSampler(n, context, batch, seed: 11);
        int k = (n - 1) / context;
        Assert.Equal(k, sampler.BlocksPerEpoch);
        var offsets = new HashSet<long>();
        for (int epoch = 0; epoch < 6; epoch++)
        {
            var hits = Coverage(sampler, epoch);
            Assert.All(hits, h => Assert.InRange(h, 0, 1));
            Assert.Equal(0, hits[0]);
            Assert.Equal(k * context, hits.Sum());
            Assert.True(n - 1 - hits.Sum() < context);
            // The covered targets are one contiguous run starting after the epoch's offset.
            long offset = sampler.Offset(epoch);
            offsets.Add(offset);
            Assert.Equal(Enumerable.Range(0, n).Select(i => i > offset && i <= offset + k * context ? 1 : 0), hits);
            var sizes = sampler.Batches(epoch).Select(b => b.Length).ToArray();
            Assert.Equal(sampler.BatchesPerEpoch, sizes.Length);
            Assert.All(sizes[..^1], s => Assert.Equal(batch, s));
        }
        if ((n - 1) % context == 0) Assert.Equal([0L], offsets);
        else if (n == 1000) Assert.True(offsets.Count > 1, "the offset should move between epochs");
    }

    [Fact]
    public void Same_seed_same_batches_other_seed_or_epoch_other_order()
    {
        var a = new BlockSampler(5000, 32, 8, seed: 5);
        var b = new BlockSampler(5000, 32, 8, seed: 5);
        var c = new BlockSampler(5000, 32, 8, seed: 6);
        Assert.Equal(a.Batches(3).SelectMany(x => x), b.Batches(3).SelectMany(x => x));
        Assert.NotEqual(a.Batches(3).SelectMany(x => x), c.Batches(3).SelectMany(x => x));
        Assert.NotEqual(a.Batches(3).SelectMany(x => x), a.Batches(4).SelectMany(x => x));
    }

    [Fact]
    public void Gather_reads_blocks_and_their_next_tokens_from_the_file()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "t.tokens");
        var ids = Enumerable.Range(0, 200).Select(i => i * 3).ToArray();
        TokenFile.Write(path, [ids]);
        using var file = TokenFile.Open(path);
        var sampler = new BlockSampler(file.Count, 5, 4, seed: 1);
        var (x, y) = sampler.Gather(file, [0, 17, 194]);
        Assert.Equal([3, 5], x.Shape);
        Assert.Equal(new long[] { 0, 3, 6, 9, 12, 51, 54, 57, 60, 63, 582, 585, 588, 591, 594 }, x.ToInt64Array());
        Assert.Equal(new long[] { 3, 6, 9, 12, 15, 54, 57, 60, 63, 66, 585, 588, 591, 594, 597 }, y.ToInt64Array());
    }

    [Fact]
    public void Too_little_text_for_one_block_is_refused_in_words()
    {
        Assert.Contains("no block of 8 tokens", Assert.Throws<ArgumentException>(() => new BlockSampler(8, 8, 1, 0)).Message);
    }
}
