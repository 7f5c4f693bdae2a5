using SharpAttention.Training;

namespace SharpAttention.Tests.Training;

public class SequenceErrorRatesTests
{
    static string[] P(string s) => s.Length == 0 ? [] : s.Split(' ');

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("A", "", 1)]
    [InlineData("", "A B", 2)]
    [InlineData("K IH T AH N", "S IH T IH NG", 3)]      // kitten → sitting, as phoneme strings
    [InlineData("A B C", "A C", 1)]
    [InlineData("A B C D", "B C D A", 2)]
    public void Edit_distance_hand_worked(string a, string b, int expected)
    {
        Assert.Equal(expected, SequenceErrorRates.EditDistance(P(a), P(b)));
        Assert.Equal(expected, SequenceErrorRates.EditDistance(P(b), P(a)));
    }

    [Fact]
    public void Wer_counts_a_match_with_any_reference_and_per_uses_the_closest()
    {
        var rates = new SequenceErrorRates();
        // Word 1 matches its second reference exactly: no word error, 0 edits over that reference's 2 symbols.
        Assert.Equal(0, rates.Add(P("EY T"), [P("AH T"), P("EY T")]));
        // Word 2: distance 2 to "A B D E" (C→D, +E), 1 to "A C" (−B): the closest is "A C", 1 edit over 2 symbols.
        Assert.Equal(1, rates.Add(P("A B C"), [P("A B D E"), P("A C")]));
        // Word 3: equally close to both (1 edit); the first listed counts, 1 edit over its 3 symbols.
        Assert.Equal(1, rates.Add(P("X Y Z"), [P("X Y W"), P("X Y Z Q")]));
        Assert.Equal(3, rates.Count);
        Assert.Equal(2.0 / 3, rates.WordErrorRate, 12);
        Assert.Equal((0 + 1 + 1) / (2.0 + 2 + 3), rates.SymbolErrorRate, 12);
        Assert.Throws<ArgumentException>(() => rates.Add(P("A"), Array.Empty<string[]>()));
    }

    [Fact]
    public void Empty_rates_are_zero() => Assert.Equal((0.0, 0.0), (new SequenceErrorRates().WordErrorRate, new SequenceErrorRates().SymbolErrorRate));
}
