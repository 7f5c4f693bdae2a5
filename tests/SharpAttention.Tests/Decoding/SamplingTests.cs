using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Decoding.DecodingTestUtil;

namespace SharpAttention.Tests.Decoding;

public class SamplingTests
{
    static IReadOnlyList<Hypothesis> Sample(Seq2SeqTransformer m, ulong seed, double temperature = 1.0, int topK = 0, double topP = 1.0) =>
        Sampling.Decode(m, m.BeginDecoding(Sources()), Bos, 10, eosId: 2, new Generator(seed), temperature, topK, topP, Pad);

    static IReadOnlyList<Hypothesis> GreedyOf(Seq2SeqTransformer m) => Greedy.Decode(m, m.BeginDecoding(Sources()), Bos, 10, eosId: 2, Pad);

    static void SameTokens(IReadOnlyList<Hypothesis> a, IReadOnlyList<Hypothesis> b) =>
        Assert.Equal(a.Select(h => h.Tokens.ToArray()), b.Select(h => h.Tokens.ToArray()));

    [Fact]
    public void TopKOneTinyTemperatureAndTinyTopPAreGreedy()
    {
        var m = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal);
        var greedy = GreedyOf(m);
        SameTokens(greedy, Sample(m, 1, topK: 1));
        SameTokens(greedy, Sample(m, 2, temperature: 1e-6));
        SameTokens(greedy, Sample(m, 3, topP: 1e-6));
        Assert.Equal(greedy.Select(h => h.Score), Sample(m, 1, topK: 1).Select(h => h.Score));
    }

    [Fact]
    public void SameSeedSameSamplesAndScoresAreTheModelsLogProbabilities()
    {
        var m = Seq2Seq(normFirst: false, PositionEncoding.Learned);
        var a = Sample(m, 42, temperature: 1.5, topK: 8, topP: 0.95);
        SameTokens(a, Sample(m, 42, temperature: 1.5, topK: 8, topP: 0.95));
        Assert.Equal(a.Select(h => h.Score), Sample(m, 42, temperature: 1.5, topK: 8, topP: 0.95).Select(h => h.Score));
        var seeds = Enumerable.Range(0, 6).Select(s => string.Join(";", Sample(m, (ulong)s, temperature: 2).Select(h => string.Join(",", h.Tokens))));
        Assert.True(seeds.Distinct().Count() > 1, "different seeds should give different samples at temperature 2");
        var src = Sources();
        for (int row = 0; row < 3; row++) Assert.Equal(SumLogProb(m, src, row, a[row].Tokens), a[row].Score, 4);
        Assert.All(a, h => Assert.DoesNotContain(Pad, h.Tokens));
    }

    [Fact]
    public void TopKAndTopPKeepOnlyTheMostProbableTokens()
    {
        // Over many first-step draws, top-k = 2 only ever yields the two most probable first tokens of each row.
        var m = Seq2Seq(normFirst: true, PositionEncoding.Learned);
        var state = m.BeginDecoding(Sources());
        var logp = m.Step(state, Tensor.Full([3, 1], Bos, DType.Int64)).LogSoftmax(-1);   // (3, V)
        for (int row = 0; row < 3; row++)
        {
            var p = logp.Select(0, row).ToArray();
            p[Pad] = float.NegativeInfinity;
            var top2 = p.Select((x, i) => (x, i)).OrderByDescending(t => t.x).Take(2).Select(t => (long)t.i).ToHashSet();
            var gen = new Generator(9);
            for (int draw = 0; draw < 40; draw++)
            {
                var h = Sampling.Decode(m, m.BeginDecoding(Sources()), Bos, 1, eosId: 2, gen, temperature: 3, topK: 2, padId: Pad);
                Assert.Contains(h[row].Tokens[0], top2);
            }
        }
    }

    [Fact]
    public void BadArgumentsNameTheArgument()
    {
        var m = Seq2Seq(normFirst: false, PositionEncoding.Learned);
        void Throws(string name, Action act) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(act).ParamName);
        Throws("temperature", () => Sample(m, 1, temperature: 0));
        Throws("temperature", () => Sample(m, 1, temperature: -1));
        Throws("topP", () => Sample(m, 1, topP: 0));
        Throws("topP", () => Sample(m, 1, topP: 1.5));
        Throws("topK", () => Sample(m, 1, topK: -1));
        Throws("generator", () => Sampling.Decode(m, m.BeginDecoding(Sources()), Bos, 5, 2, null!));
    }
}
