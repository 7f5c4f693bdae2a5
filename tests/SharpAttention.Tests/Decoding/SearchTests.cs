using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Decoding.DecodingTestUtil;

namespace SharpAttention.Tests.Decoding;

/// <summary>Greedy decoding and beam search against cache-free recomputation and exhaustive search.</summary>
public class SearchTests
{
    static void SameTokens(IReadOnlyList<Hypothesis> expected, IReadOnlyList<Hypothesis> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Tokens, actual[i].Tokens);
            Assert.Equal(expected[i].Finished, actual[i].Finished);
            Assert.Equal(expected[i].Score, actual[i].Score, 4);
        }
    }

    /// <summary>An end token that stops row 0 after its second token but not the other rows (when their greedy outputs
    /// differ), so rows finish at different steps.</summary>
    static long EndTokenFor(Seq2SeqTransformer m, Tensor src)
    {
        var free = Greedy.Decode(m, m.BeginDecoding(src), Bos, 8, eosId: -1, padId: Pad);
        return free[0].Tokens[1];
    }

    [Theory]
    [InlineData(false, PositionEncoding.Sinusoidal)]
    [InlineData(true, PositionEncoding.Learned)]
    public void GreedyWithTheCacheEqualsGreedyRecomputingThePrefix(bool normFirst, PositionEncoding positions)
    {
        var m = Seq2Seq(normFirst, positions);
        var src = Sources();
        long eos = EndTokenFor(m, src);
        var oracle = Recomputing(m, src);
        var expected = Greedy.Decode(oracle, oracle.BeginDecoding(3), Bos, 12, eos, Pad);
        var actual = Greedy.Decode(m, m.BeginDecoding(src), Bos, 12, eos, Pad);
        SameTokens(expected, actual);
        Assert.True(actual[0].Finished);
        Assert.Equal(eos, actual[0].Tokens[^1]);
        Assert.All(actual, h => Assert.DoesNotContain(Pad, h.Tokens));
        for (int i = 0; i < 3; i++) Assert.Equal(SumLogProb(m, src, i, actual[i].Tokens), actual[i].Score, 4);
    }

    [Fact]
    public void GreedyOnACausalModelContinuesThePrompt()
    {
        var m = Causal(PositionEncoding.Rotary, 2);
        var prompt = Models.ModelTestUtil.Ids(2, 3, 0, 17, 4);
        var oracle = Recomputing(m);
        var expected = Greedy.Decode(oracle, oracle.BeginDecoding(2), prompt, 10, eosId: 5);
        SameTokens(expected, Greedy.Decode(m, m.BeginDecoding(2), prompt, 10, eosId: 5));
    }

    [Fact]
    public void BeamWidthOneIsGreedy()
    {
        var m = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal);
        var src = Sources();
        long eos = EndTokenFor(m, src);
        var greedy = Greedy.Decode(m, m.BeginDecoding(src), Bos, 10, eos, Pad);
        var beams = BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 10, eos, beamWidth: 1, padId: Pad);
        SameTokens(greedy, [.. beams.Select(b => Assert.Single(b))]);
    }

    /// <summary>Every sequence over tokens 1..3 (pad 0 excluded) of at most 3 tokens that ends in the end token 2 or is 3
    /// long: with a beam as wide as that set nothing is pruned, so the n-best must be the exhaustive ranking.</summary>
    [Theory]
    [InlineData(0.0, LengthPenaltyForm.Gnmt)]
    [InlineData(1.0, LengthPenaltyForm.Gnmt)]
    [InlineData(0.7, LengthPenaltyForm.Power)]
    public void WideBeamEqualsExhaustiveSearch(double alpha, LengthPenaltyForm form)
    {
        const int maxLength = 3, eos = 2;
        var m = Seq2Seq(normFirst: false, PositionEncoding.Learned, tgtVocab: 4, seed: 7);
        var src = Sources();
        var all = new List<long[]>();
        void Enumerate(long[] prefix)
        {
            foreach (long t in new long[] { 1, 2, 3 })
            {
                long[] seq = [.. prefix, t];
                if (t == eos || seq.Length == maxLength) all.Add(seq);
                else Enumerate(seq);
            }
        }
        Enumerate([]);
        var results = BeamSearch.Decode(m, m.BeginDecoding(src), Bos, maxLength, eos, beamWidth: 16, nBest: 6, lengthPenalty: alpha,
            lengthPenaltyForm: form, padId: Pad);
        for (int row = 0; row < 3; row++)
        {
            double Penalized(long[] s) => SumLogProb(m, src, row, s) /
                (form == LengthPenaltyForm.Gnmt ? Math.Pow((5.0 + s.Length) / 6, alpha) : Math.Pow(s.Length, alpha));
            var ranked = all.OrderByDescending(Penalized).Take(6).ToList();
            Assert.Equal(6, results[row].Count);
            for (int i = 0; i < 6; i++)
            {
                var h = results[row][i];
                Assert.Equal(ranked[i], h.Tokens);
                Assert.Equal(SumLogProb(m, src, row, ranked[i]), h.Score, 4);
                Assert.Equal(Penalized(ranked[i]), h.PenalizedScore, 4);
                Assert.Equal(ranked[i][^1] == eos, h.Finished);
            }
        }
    }

    [Fact]
    public void NBestIsOrderedAndScoresAreTheModelsLogProbabilities()
    {
        var m = Seq2Seq(normFirst: true, PositionEncoding.Learned);
        var src = Sources();
        long eos = EndTokenFor(m, src);
        var results = BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 9, eos, beamWidth: 5, nBest: 5, lengthPenalty: 0.6, padId: Pad);
        var oracle = Recomputing(m, src);
        var again = BeamSearch.Decode(oracle, oracle.BeginDecoding(3), Bos, 9, eos, beamWidth: 5, nBest: 5, lengthPenalty: 0.6, padId: Pad);
        for (int row = 0; row < 3; row++)
        {
            var n = results[row];
            Assert.Equal(5, n.Count);
            for (int i = 1; i < n.Count; i++) Assert.True(n[i - 1].PenalizedScore >= n[i].PenalizedScore);
            Assert.Equal(n.Count, n.Select(h => string.Join(",", h.Tokens)).Distinct().Count());
            foreach (var h in n)
            {
                Assert.Equal(SumLogProb(m, src, row, h.Tokens), h.Score, 4);
                Assert.Equal(h.Score / Math.Pow((5.0 + h.Tokens.Count) / 6, 0.6), h.PenalizedScore, 9);
            }
            SameTokens(again[row], n);
        }
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        var m = Seq2Seq(normFirst: false, PositionEncoding.Learned);
        var src = Sources();
        void Throws(string name, Action act) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(act).ParamName);
        Throws("beamWidth", () => BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 5, 2, beamWidth: 0));
        Throws("nBest", () => BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 5, 2, beamWidth: 2, nBest: 3));
        Throws("maxLength", () => BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 25, 2));   // MaxLen is 24
        Throws("maxLength", () => Greedy.Decode(m, m.BeginDecoding(src), Bos, 25, 2));
        Throws("maxLength", () => Greedy.Decode(m, m.BeginDecoding(src), Bos, 0, 2));
        Throws("prompt", () => Greedy.Decode(m, m.BeginDecoding(src), Tensor.Full([2, 1], Bos, DType.Int64), 5, 2));
        var lm = Causal(PositionEncoding.Learned, null);
        Throws("maxLength", () => Greedy.Decode(lm, lm.BeginDecoding(1), Tensor.Full([1, 4], 3, DType.Int64), 22, 2));
        Greedy.Decode(lm, lm.BeginDecoding(1), Tensor.Full([1, 4], 3, DType.Int64), 21, 2);   // 4 + 21 − 1 = 24 positions fit
    }
}
