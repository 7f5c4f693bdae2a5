using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.Tensors;
using static SharpAttention.Tests.Decoding.DecodingTestUtil;

namespace SharpAttention.Tests.Decoding;

/// <summary>Generation with the KV cache against generation that recomputes the whole prefix every step
/// (<see cref="RecomputingDecoder"/> over the model's full forward): the same tokens and log-probabilities, for greedy
/// decoding and for sampling with a seed, with and without a repetition penalty.</summary>
public class TokenStreamTests
{
    static GeneratedToken[] Run(IIncrementalDecoder decoder, IDecoderState state, SamplingFilter? filter, ulong seed, double penalty) =>
        [.. TokenStream.Generate(decoder, state, [3, 5, 7], 18, eosId: null, filter, new Generator(seed), penalty)];

    [Theory]
    [InlineData(PositionEncoding.Rotary, false, 1.0)]
    [InlineData(PositionEncoding.Rotary, true, 1.0)]
    [InlineData(PositionEncoding.Learned, true, 1.3)]
    [InlineData(PositionEncoding.Rotary, false, 1.5)]
    [InlineData(PositionEncoding.Alibi, false, 1.0)]
    [InlineData(PositionEncoding.Alibi, true, 1.2)]
    public void Cached_generation_equals_recomputing_the_prefix(PositionEncoding positions, bool sample, double penalty)
    {
        var model = Causal(positions, kvHeads: null);
        var recompute = Recomputing(model);
        SamplingFilter? Filter() => sample ? new SamplingFilter(model.Config.VocabSize, temperature: 1.4, topK: 10, topP: 0.95) : null;
        var cached = Run(model, model.BeginDecoding(1), Filter(), 5, penalty);
        var oracle = Run(recompute, recompute.BeginDecoding(1), Filter(), 5, penalty);
        Assert.Equal(18, cached.Length);
        Assert.Equal(oracle.Select(t => t.Id), cached.Select(t => t.Id));
        for (int i = 0; i < cached.Length; i++) Assert.Equal(oracle[i].LogProb, cached[i].LogProb, 4);
    }

    [Fact]
    public void Log_probabilities_are_the_models_own_and_greedy_takes_the_most_probable()
    {
        var model = Causal(PositionEncoding.Rotary, kvHeads: null);
        var tokens = Run(model, model.BeginDecoding(1), null, 0, 1.0);
        long[] all = [3, 5, 7, .. tokens.Select(t => (long)t.Id)];
        var logp = model.Forward(Tensor.FromArray(all, 1, all.Length)).LogSoftmax(-1);    // (1, T, V)
        for (int i = 0; i < tokens.Length; i++)
        {
            var row = logp.Select(0, 0).Select(0, 2 + i).ToArray();
            Assert.Equal(row.Max(), row[tokens[i].Id]);
            Assert.Equal(row[tokens[i].Id], tokens[i].LogProb, 4);
        }
    }

    [Fact]
    public void Stops_after_the_end_token_and_yields_it()
    {
        var model = Causal(PositionEncoding.Rotary, kvHeads: null);
        var free = Run(model, model.BeginDecoding(1), null, 0, 1.0);
        int eos = free[4].Id;
        int first = Array.FindIndex(free, t => t.Id == eos);
        var stopped = TokenStream.Generate(model, model.BeginDecoding(1), [3, 5, 7], 18, eos).ToArray();
        Assert.Equal(free[..(first + 1)].Select(t => t.Id), stopped.Select(t => t.Id));
    }
}
