using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Decoding.DecodingTestUtil;

namespace SharpAttention.Tests.Decoding;

/// <summary>The ensemble decoder against a cache-free oracle that averages the members' softmax in float64.</summary>
public class EnsembleTests
{
    /// <summary>log((1/M) Σ softmax(logits_m)) of the last position, each member recomputing the whole prefix.</summary>
    static RecomputingDecoder NaiveEnsemble(Seq2SeqTransformer[] members, Tensor src) =>
        new((prefix, rows) =>
        {
            var picked = src.IndexSelect(0, Tensor.FromArray(Array.ConvertAll(rows, r => (long)r), rows.Length));
            int b = prefix.Size(0), t = prefix.Size(1), v = members[0].Config.TgtVocabSize;
            var mean = new double[b * v];
            foreach (var m in members)
            {
                var logits = m.Forward(picked, prefix);                           // (B, T, V)
                for (int i = 0; i < b; i++)
                {
                    var row = Enumerable.Range(0, v).Select(j => (double)logits[i, t - 1, j]).ToArray();
                    double max = row.Max(), z = row.Sum(x => Math.Exp(x - max));
                    for (int j = 0; j < v; j++) mean[i * v + j] += Math.Exp(row[j] - max) / z / members.Length;
                }
            }
            var result = Tensor.FromArray(Array.ConvertAll(mean, p => (float)Math.Log(p)), b, v);
            return result.Unsqueeze(1);                                           // (B, 1, V): the oracle's last position
        }, members[0].Config.TgtVocabSize, members[0].Config.MaxLen);

    static EnsembleState Begin(EnsembleDecoder ensemble, Seq2SeqTransformer[] members, Tensor src) =>
        ensemble.Begin([.. members.Select(m => (IDecoderState)m.BeginDecoding(src))]);

    static Seq2SeqTransformer[] Members() =>
        [Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal, seed: 3), Seq2Seq(normFirst: false, PositionEncoding.Learned, seed: 4)];

    [Fact]
    public void StepsGiveTheLogOfTheAveragedProbabilities()
    {
        var members = Members();
        var src = Sources();
        var ensemble = new EnsembleDecoder(members);
        var oracle = NaiveEnsemble(members, src);
        var state = Begin(ensemble, members, src);
        var oracleState = oracle.BeginDecoding(3);
        long[][] feeds = [[Bos, Bos, Bos], [5, 6, 7], [8, 8, 3], [4, 2, 9]];
        foreach (var feed in feeds)
        {
            var tokens = Tensor.FromArray(feed, 3, 1);
            var actual = ensemble.Step(state, tokens);
            var expected = oracle.Step(oracleState, tokens);
            Assert.Equal(new[] { 3, members[0].Config.TgtVocabSize }, actual.Shape.ToArray());
            for (int i = 0; i < 3; i++)
            {
                double total = 0;
                for (int j = 0; j < actual.Size(1); j++)
                {
                    Assert.Equal((double)expected[i, j], actual[i, j], 1e-4);
                    total += Math.Exp(actual[i, j]);
                }
                Assert.Equal(1.0, total, 5);
            }
        }
        Assert.Equal(4, state.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void BeamSearchOverTheEnsembleEqualsTheOracle(int beamWidth)
    {
        var members = Members();
        var src = Sources();
        var ensemble = new EnsembleDecoder(members);
        var oracle = NaiveEnsemble(members, src);
        const long eos = 2;
        var expected = BeamSearch.Decode(oracle, oracle.BeginDecoding(3), Bos, 10, eos, beamWidth, nBest: beamWidth, padId: Pad);
        var actual = BeamSearch.Decode(ensemble, Begin(ensemble, members, src), Bos, 10, eos, beamWidth, nBest: beamWidth, padId: Pad);
        Assert.Equal(expected.Count, actual.Count);
        for (int s = 0; s < expected.Count; s++)
        {
            Assert.Equal(expected[s].Count, actual[s].Count);
            for (int h = 0; h < expected[s].Count; h++)
            {
                Assert.Equal(expected[s][h].Tokens, actual[s][h].Tokens);
                Assert.Equal(expected[s][h].Score, actual[s][h].Score, 1e-3);
            }
        }
    }

    [Fact]
    public void AModelTwiceDecodesAsTheModelAlone()
    {
        var m = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal, seed: 5);
        var src = Sources();
        var alone = BeamSearch.Decode(m, m.BeginDecoding(src), Bos, 10, 2, beamWidth: 3, nBest: 3, padId: Pad);
        var twice = new EnsembleDecoder([m, m]);
        var both = BeamSearch.Decode(twice, twice.Begin([m.BeginDecoding(src), m.BeginDecoding(src)]), Bos, 10, 2, beamWidth: 3, nBest: 3, padId: Pad);
        for (int s = 0; s < alone.Count; s++)
            for (int h = 0; h < alone[s].Count; h++)
            {
                Assert.Equal(alone[s][h].Tokens, both[s][h].Tokens);
                Assert.Equal(alone[s][h].Score, both[s][h].Score, 1e-4);
            }
    }

    [Fact]
    public void ATokenOneMemberRulesOutKeepsTheOthersProbability()
    {
        var member = new FixedDecoder([0f, float.NegativeInfinity, 0f]);   // p = (½, 0, ½)
        var other = new FixedDecoder([0f, 0f, 0f]);                          // p = (⅓, ⅓, ⅓)
        var ensemble = new EnsembleDecoder([member, other]);
        var logp = ensemble.Step(ensemble.Begin([new FixedState(), new FixedState()]), Tensor.FromArray(new long[] { 0 }, 1, 1));
        Assert.Equal(Math.Log((0.5 + 1 / 3.0) / 2), logp[0, 0], 5);
        Assert.Equal(Math.Log(1 / 6.0), logp[0, 1], 5);
        var none = new EnsembleDecoder([member, member]);
        Assert.Equal(float.NegativeInfinity, none.Step(none.Begin([new FixedState(), new FixedState()]), Tensor.FromArray(new long[] { 0 }, 1, 1))[0, 1]);
    }

    [Fact]
    public void MismatchedMembersAndStatesAreRefusedByName()
    {
        var a = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal, tgtVocab: 13);
        var b = Seq2Seq(normFirst: true, PositionEncoding.Sinusoidal, tgtVocab: 9);
        var e = Assert.Throws<ArgumentException>(() => new EnsembleDecoder([a, b]));
        Assert.Contains("member 1 has vocabulary size 9", e.Message);
        Assert.Throws<ArgumentException>(() => new EnsembleDecoder([]));

        var src = Sources();
        var ensemble = new EnsembleDecoder([a, a]);
        Assert.Contains("1 states for 2 members", Assert.Throws<ArgumentException>(() => ensemble.Begin([a.BeginDecoding(src)])).Message);
        var shorter = a.BeginDecoding(src.Narrow(0, 0, 2));
        Assert.Contains("state 1 has 2 rows", Assert.Throws<ArgumentException>(() => ensemble.Begin([a.BeginDecoding(src), shorter])).Message);
        var foreign = new EnsembleDecoder([a, a]).Begin([a.BeginDecoding(src), a.BeginDecoding(src)]);
        Assert.Contains("not made by this ensemble",
            Assert.Throws<ArgumentException>(() => ensemble.Step(foreign, Tensor.Full([3, 1], Bos, DType.Int64))).Message);
    }

    [Fact]
    public void ReorderMovesEveryMembersRows()
    {
        var members = Members();
        var src = Sources();
        var ensemble = new EnsembleDecoder(members);
        var state = Begin(ensemble, members, src);
        ensemble.Step(state, Tensor.Full([3, 1], Bos, DType.Int64));
        state.Reorder([2, 2, 0, 1]);
        Assert.Equal(4, state.BatchSize);
        var oracle = NaiveEnsemble(members, src);
        var oracleState = oracle.BeginDecoding(3);
        oracle.Step(oracleState, Tensor.Full([3, 1], Bos, DType.Int64));
        oracleState.Reorder([2, 2, 0, 1]);
        var tokens = Tensor.FromArray(new long[] { 4, 5, 6, 7 }, 4, 1);
        var actual = ensemble.Step(state, tokens);
        var expected = oracle.Step(oracleState, tokens);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < actual.Size(1); j++) Assert.Equal((double)expected[i, j], actual[i, j], 1e-4);
    }

    /// <summary>A one-row decoder that always returns the same logits.</summary>
    sealed class FixedDecoder(float[] logits) : IIncrementalDecoder
    {
        public int VocabSize => logits.Length;
        public int MaxLength => int.MaxValue;
        public Tensor Step(IDecoderState state, Tensor tokens) => Tensor.FromArray(logits, 1, logits.Length);
    }

    sealed class FixedState : IDecoderState
    {
        public int BatchSize => 1;
        public int Length => 0;
        public void Reorder(ReadOnlySpan<int> rows) { }
    }
}
