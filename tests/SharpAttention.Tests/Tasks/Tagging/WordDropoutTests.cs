using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Tests.Tasks.Tagging;

public class WordDropoutTests
{
    // <s>=0, words of 1, 3 and 2 pieces (ids 10…15), </s>=1; unk = 3.
    static readonly AlignedRow Row = new(0, [0, 10, 11, 12, 13, 14, 15, 1], [1, 2, 5], [[], [], []], [[], [], []]);

    [Fact]
    public void RateZeroKeepsTheRow() => Assert.Same(Row, new WordDropout(0, 3, 42).Apply(Row, 7, 0));

    [Fact]
    public void DropsWholeWordsAtTheRateAndNeverTheWrapping()
    {
        var dropout = new WordDropout(0.3, unkId: 3, seed: 42);
        int dropped = 0, words = 0;
        for (int index = 0; index < 2000; index++)
        {
            var ids = dropout.Apply(Row, index, epoch: 1).Ids;
            Assert.Equal((0, 1), (ids[0], ids[^1]));
            // Each word is either intact or all <unk>, piece for piece.
            foreach (var (start, end) in new[] { (1, 2), (2, 5), (5, 7) })
            {
                var pieces = ids[start..end];
                bool gone = pieces.All(i => i == 3);
                Assert.True(gone || pieces.SequenceEqual(Row.Ids[start..end]), string.Join(",", ids));
                words++;
                if (gone) dropped++;
            }
        }
        // 6,000 Bernoulli(0.3) draws: the share lies within 4 standard deviations (±0.024) of the rate.
        Assert.InRange((double)dropped / words, 0.276, 0.324);
    }

    [Fact]
    public void TheDrawDependsOnlyOnSeedRowAndEpoch()
    {
        var a = new WordDropout(0.5, 3, 42);
        var b = new WordDropout(0.5, 3, 42);
        var draws = Enumerable.Range(0, 64).Select(i => a.Apply(Row, i, 2).Ids).ToArray();
        Assert.All(Enumerable.Range(0, 64), i => Assert.Equal(draws[i], b.Apply(Row, i, 2).Ids));
        // Another epoch or seed draws differently somewhere among the 64 rows.
        Assert.Contains(Enumerable.Range(0, 64), i => !draws[i].SequenceEqual(a.Apply(Row, i, 3).Ids));
        Assert.Contains(Enumerable.Range(0, 64), i => !draws[i].SequenceEqual(new WordDropout(0.5, 3, 43).Apply(Row, i, 2).Ids));
    }

    [Fact]
    public void RefusesARateOutsideZeroToOne() => Assert.Throws<ArgumentOutOfRangeException>(() => new WordDropout(1.0, 3, 1));
}
