using Microsoft.ML.OnnxRuntime;
using SharpAttention.Models;

namespace SharpAttention.Tests.Onnx;

/// <summary>Greedy decoding through the exported seq2seq decoder graphs in ONNX Runtime, written out step by step as a
/// consumer of Optimum's layout would: decoder_model on the start tokens and the encoder's hidden states (giving the
/// cross-attention keys and values once), then decoder_with_past_model on each step's argmax with the previous present
/// self-attention cache and those cross-attention keys and values as its past. Rows go on after their end token (their
/// later steps are ignored), so the batch never changes.</summary>
internal static class OrtGreedy
{
    public static (List<long>[] Tokens, double[] Scores) Seq2Seq(InferenceSession decoder, InferenceSession decoderWithPast, Seq2SeqTransformer model,
        (float[] Data, int[] Shape) memory, long[] srcMask, int maxSteps, long bos, long eos, int pad)
    {
        int b = memory.Shape[0], s = memory.Shape[1], vocab = model.Config.TgtVocabSize;
        var tokens = Enumerable.Range(0, b).Select(_ => new List<long>()).ToArray();
        var scores = new double[b];
        var finished = new bool[b];
        long[] input = [.. Enumerable.Repeat(bos, b)];
        Dictionary<string, (float[] Data, int[] Shape)>? past = null, cross = null;
        for (int step = 0; step < maxSteps && !finished.All(f => f); step++)
        {
            var outputs = past is null
                ? Ort.Run(decoder, DecoderInputs(input, b, 1, memory, srcMask, s))
                : Ort.Run(decoderWithPast, DecoderWithPastInputs(model, input, b, srcMask, s, past, cross!));
            cross ??= outputs;
            for (int r = 0; r < b; r++)
            {
                var logp = Ort.LogSoftmax(outputs["logits"].Data.AsSpan(r * vocab, vocab), pad);
                int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logp);
                input[r] = best;
                if (finished[r]) continue;
                tokens[r].Add(best);
                scores[r] += logp[best];
                finished[r] = best == eos;
            }
            past = outputs;
        }
        return (tokens, scores);
    }

    /// <summary>decoder_model's inputs: target ids (B, T), the source mask and the encoder's hidden states.</summary>
    public static List<NamedOnnxValue> DecoderInputs(long[] ids, int b, int t, (float[] Data, int[] Shape) memory, long[] srcMask, int s) =>
    [
        Ort.Input("input_ids", ids, b, t),
        Ort.Input("encoder_attention_mask", srcMask, b, s),
        Ort.Input("encoder_hidden_states", memory.Data, memory.Shape),
    ];

    /// <summary>decoder_with_past_model's inputs: one token per row, the source mask, the previous run's present
    /// self-attention cache and decoder_model's cross-attention keys and values.</summary>
    static List<NamedOnnxValue> DecoderWithPastInputs(Seq2SeqTransformer model, long[] ids, int b, long[] srcMask, int s,
        Dictionary<string, (float[] Data, int[] Shape)> past, Dictionary<string, (float[] Data, int[] Shape)> cross)
    {
        var inputs = new List<NamedOnnxValue> { Ort.Input("input_ids", ids, b, 1), Ort.Input("encoder_attention_mask", srcMask, b, s) };
        for (int i = 0; i < model.Transformer.Decoder.Layers.Count; i++)
            foreach (var part in new[] { "key", "value" })
            {
                var (self, encoder) = (past[$"present.{i}.decoder.{part}"], cross[$"present.{i}.encoder.{part}"]);
                inputs.Add(Ort.Input($"past_key_values.{i}.decoder.{part}", self.Data, self.Shape));
                inputs.Add(Ort.Input($"past_key_values.{i}.encoder.{part}", encoder.Data, encoder.Shape));
            }
        return inputs;
    }
}
