using SharpAttention.Autograd;
using SharpAttention.Decoding;
using SharpAttention.Models;
using SharpAttention.NN.Transformers;
using SharpAttention.Onnx;
using SharpAttention.Tensors;
using Tensor = SharpAttention.Tensors.Tensor;

namespace SharpAttention.Tests.Onnx;

/// <summary>Seq2SeqTransformer exported as Optimum's encoder, decoder and decoder-with-past graphs: ORT's encoder output
/// equals Encode's, a whole target through the decoder graph equals Decode's logits, and greedy decoding through ORT
/// (the decoder graph's cross-attention keys and values, then the cache, fed back as the past) gives Greedy.Decode's
/// tokens and log-probabilities; all three files pass onnx.checker's full check.</summary>
public sealed class Seq2SeqExportTests : IDisposable
{
    const int SrcVocab = 30, TgtVocab = 25, Pad = 0, Bos = 1, Eos = 2;
    readonly string dir = Directory.CreateTempSubdirectory("onnx-s2s-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static Seq2SeqTransformer Model(bool normFirst, PositionEncoding positions, Activation activation)
    {
        var config = Seq2SeqConfig.Tiny(SrcVocab, TgtVocab) with { MaxLen = 64, NormFirst = normFirst, Positions = positions, Activation = activation };
        var model = new Seq2SeqTransformer(config, new Generator(13));
        model.Eval();
        return model;
    }

    [Theory]
    [InlineData(false, PositionEncoding.Sinusoidal, Activation.Relu, false)]
    [InlineData(true, PositionEncoding.Learned, Activation.Gelu, false)]
    [InlineData(false, PositionEncoding.Sinusoidal, Activation.Relu, true)]
    public void EncoderAndDecoderMatchAndDecodeGreedily(bool normFirst, PositionEncoding positions, Activation activation, bool fused)
    {
        var model = Model(normFirst, positions, activation);
        var (encoderPath, decoderPath, withPastPath) = model.ExportOnnx(dir, new OnnxExportOptions { Fused = fused });
        using var encoder = Ort.Session(encoderPath);
        using var decoder = Ort.Session(decoderPath);
        using var withPast = Ort.Session(withPastPath);
        int[] lengths = [37, 20, 1];
        int b = lengths.Length, s = 37;
        var (src, srcMask) = Ort.Batch(SrcVocab, lengths, s, seed: 4);
        var srcT = Tensor.FromArray(src, b, s);

        // 1. The encoder.
        var (memory, srcPad) = model.Encode(srcT);
        var hidden = Ort.Run(encoder, [Ort.Input("input_ids", src, b, s), Ort.Input("attention_mask", srcMask, b, s)])["last_hidden_state"];
        Ort.AssertClose(memory, hidden);

        // 2. A whole target of 37 tokens through the first-step graph.
        var (tgt, _) = Ort.Batch(TgtVocab, [37, 37, 37], 37, seed: 5);
        Tensor expected;
        using (GradMode.NoGrad()) expected = model.Decode(Tensor.FromArray(tgt, b, 37), memory, srcPad);
        Ort.AssertClose(expected, Ort.Run(decoder, OrtGreedy.DecoderInputs(tgt, b, 37, hidden, srcMask, s))["logits"]);

        // 3. Greedy decoding, 20 steps at most, the cache fed back.
        var greedy = Greedy.Decode(model, model.BeginDecoding(srcT), Bos, 20, Eos, Pad);
        var (tokens, scores) = OrtGreedy.Seq2Seq(decoder, withPast, model, hidden, srcMask, 20, Bos, Eos, Pad);
        for (int r = 0; r < b; r++)
        {
            Assert.Equal(greedy[r].Tokens, tokens[r]);
            Assert.True(Math.Abs(greedy[r].Score - scores[r]) <= 1e-4, $"row {r}: Greedy.Decode {greedy[r].Score}, ORT {scores[r]}");
        }
        OnnxChecker.AssertValid(encoderPath);
        OnnxChecker.AssertValid(decoderPath);
        OnnxChecker.AssertValid(withPastPath);
    }
}
