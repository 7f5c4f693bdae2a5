using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Tensors;

namespace SharpAttention.Tests.Decoding;

/// <summary>Small models in eval mode and their cache-free twins (<see cref="RecomputingDecoder"/>) for the decoding tests.</summary>
internal static class DecodingTestUtil
{
    public const long Pad = 0, Bos = 1;

    public static Seq2SeqTransformer Seq2Seq(bool normFirst, PositionEncoding positions, int tgtVocab = 13, ulong seed = 1)
    {
        var config = Seq2SeqConfig.Tiny(11, tgtVocab) with
        {
            DModel = 32, NumHeads = 4, DimFeedforward = 48, MaxLen = 24, NormFirst = normFirst, Positions = positions, Dropout = 0.1,
        };
        var m = new Seq2SeqTransformer(config, new Generator(seed));
        m.Eval();
        return m;
    }

    public static CausalLanguageModel Causal(PositionEncoding positions, int? kvHeads, ulong seed = 2)
    {
        var config = CausalLMConfig.Tiny(17) with
        {
            DModel = 32, NumHeads = 4, NumKvHeads = kvHeads, NumLayers = 2, DimFeedforward = 40, MaxLen = 24, Positions = positions,
            Activation = positions == PositionEncoding.Learned ? Activation.Gelu : Activation.SwiGlu,
            Norm = positions == PositionEncoding.Learned ? NormKind.LayerNorm : NormKind.RmsNorm, Bias = positions == PositionEncoding.Learned,
            Dropout = 0.1,
        };
        var m = new CausalLanguageModel(config, new Generator(seed));
        m.Eval();
        return m;
    }

    /// <summary>Sources of lengths 5, 2 and 4, right-padded.</summary>
    public static Tensor Sources() => Models.ModelTestUtil.Padded(Pad, [3, 4, 5, 6, 7], [8, 9], [10, 3, 5, 4]);

    /// <summary>The encoder-decoder without a cache: the whole prefix through <see cref="Seq2SeqTransformer.Forward"/>.</summary>
    public static RecomputingDecoder Recomputing(Seq2SeqTransformer m, Tensor src) =>
        new((prefix, rows) => m.Forward(src.IndexSelect(0, Tensor.FromArray(Array.ConvertAll(rows, r => (long)r), rows.Length)), prefix),
            m.Config.TgtVocabSize, m.Config.MaxLen);

    public static RecomputingDecoder Recomputing(CausalLanguageModel m) =>
        new((prefix, _) => m.Forward(prefix), m.Config.VocabSize, m.Config.MaxLen);

    /// <summary>Σ log p(tokens[i] | start, tokens[..i]) for source row <paramref name="row"/>, recomputed without a cache.</summary>
    public static double SumLogProb(Seq2SeqTransformer m, Tensor src, int row, IReadOnlyList<long> tokens)
    {
        long[] input = [Bos, .. tokens.Take(tokens.Count - 1)];
        var logp = m.Forward(src.Narrow(0, row, 1), Tensor.FromArray(input, 1, input.Length)).LogSoftmax(-1);   // (1, T, V)
        double sum = 0;
        for (int i = 0; i < tokens.Count; i++) sum += logp[0, i, (int)tokens[i]];
        return sum;
    }
}
