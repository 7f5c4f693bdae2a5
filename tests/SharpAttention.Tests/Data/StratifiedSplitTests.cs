using SharpAttention.Data;

namespace SharpAttention.Tests.Data;

public class StratifiedSplitTests
{
    // 70 of class "a", 20 of "b", 10 of "c": items are (class, number) so every item is distinct.
    static readonly (string Class, int Id)[] Items =
        [.. Enumerable.Range(0, 100).Select(i => (i < 70 ? "a" : i < 90 ? "b" : "c", i))];

    static int Count((string Class, int Id)[] part, string c) => part.Count(x => x.Class == c);

    [Fact]
    public void EachClassIsSplitInTheGivenProportions()
    {
        var parts = Splits.StratifiedSplit(Items, x => x.Class, [0.8, 0.1, 0.1], seed: 7);
        Assert.Equal([56, 16, 8], new[] { "a", "b", "c" }.Select(c => Count(parts[0], c)));
        Assert.Equal([7, 2, 1], new[] { "a", "b", "c" }.Select(c => Count(parts[1], c)));
        Assert.Equal([7, 2, 1], new[] { "a", "b", "c" }.Select(c => Count(parts[2], c)));
        // Every item lands in exactly one part.
        Assert.Equal(Items.OrderBy(x => x.Id), parts.SelectMany(p => p).OrderBy(x => x.Id));
    }

    [Fact]
    public void LeftoversGoToTheLargestRemaindersEarlierPartsFirst()
    {
        // 80/10/10 of 5: floors 4/0/0, remainders 0/.5/.5 → the tie goes to the earlier part.
        Assert.Equal([4, 1, 0], Splits.LargestRemainder(5, [0.8, 0.1, 0.1]));
        Assert.Equal([1, 0, 0], Splits.LargestRemainder(1, [0.8, 0.1, 0.1]));
        // 1,897 × (.8, .1, .1) = 1517.6 / 189.7 / 189.7: floors leave 2, the .7s take them.
        Assert.Equal([1517, 190, 190], Splits.LargestRemainder(1897, [0.8, 0.1, 0.1]));
        // 0.29 × 100 is 28.999999999999996 in doubles; it still gets its 29.
        Assert.Equal([29, 71], Splits.LargestRemainder(100, [0.29, 0.71]));
    }

    [Fact]
    public void SameSeedSameSplitOtherSeedOtherSplit()
    {
        var a = Splits.StratifiedSplit(Items, x => x.Class, [0.8, 0.2], seed: 42);
        var b = Splits.StratifiedSplit(Items, x => x.Class, [0.8, 0.2], seed: 42);
        var c = Splits.StratifiedSplit(Items, x => x.Class, [0.8, 0.2], seed: 43);
        Assert.Equal(a[1], b[1]);
        Assert.NotEqual(a[1].OrderBy(x => x.Id), c[1].OrderBy(x => x.Id));
        // Classes come interleaved in the seeded order, not grouped.
        Assert.NotEqual(a[0].OrderBy(x => x.Class, StringComparer.Ordinal).ToArray(), a[0]);
    }

    [Fact]
    public void FractionsParseAsShares()
    {
        Assert.Equal([0.8, 0.1, 0.1], Splits.ParseFractions("80/10/10"));
        Assert.Equal([0.8, 0.2], Splits.ParseFractions("8/2"));
        Assert.Throws<FormatException>(() => Splits.ParseFractions("80"));
        Assert.Throws<FormatException>(() => Splits.ParseFractions("80/x"));
        Assert.Throws<FormatException>(() => Splits.ParseFractions("0/0"));
    }
}
