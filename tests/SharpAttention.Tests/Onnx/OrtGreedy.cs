using Microsoft.ML.OnnxRuntime;
using SharpAttention.Models;

namespace SharpAttention.Tests.Onnx;

/// <summary>Greedy decoding through an exported seq2seq decoder-with-past graph in ONNX Runtime, written out step by step
/// as a consumer would: start tokens and an empty cache, then each step's argmax fed back with the present cache as the
/// next past. Rows go on after their end token (their later steps are ignored), so the batch never changes.</summary>
internal static class OrtGreedy
{
    public static (List<long>[] Tokens, double[] Scores) Seq2Seq(InferenceSession decoder, Seq2SeqTransformer model,
        (float[] Data, int[] Shape) memory, long[] srcMask, int maxSteps, long bos, long eos, int pad)
    {
        int b = memory.Shape[0], s = memory.Shape[1], vocab = model.Config.TgtVocabSize;
        var tokens = Enumerable.Range(0, b).Select(_ => new List<long>()).ToArray();
        var scores = new double[b];
        var finished = new bool[b];
        long[] input = [.. Enumerable.Repeat(bos, b)];
        Dictionary<string, (float[] Data, int[] Shape)>? past = null;
        for (int step = 0; step < maxSteps && !finished.All(f => f); step++)
        {
            var outputs = Ort.Run(decoder, DecoderInputs(model, input, b, 1, memory, srcMask, s, past));
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

    /// <summary>The decoder graph's inputs; the cache is the previous run's present outputs, or empty (length 0).</summary>
    public static List<NamedOnnxValue> DecoderInputs(Seq2SeqTransformer model, long[] ids, int b, int t, (float[] Data, int[] Shape) memory,
        long[] srcMask, int s, Dictionary<string, (float[] Data, int[] Shape)>? past)
    {
        var inputs = new List<NamedOnnxValue>
        {
            Ort.Input("input_ids", ids, b, t),
            Ort.Input("encoder_attention_mask", srcMask, b, s),
            Ort.Input("encoder_hidden_states", memory.Data, memory.Shape),
        };
        var layers = model.Transformer.Decoder.Layers;
        for (int i = 0; i < layers.Count; i++)
            foreach (var part in new[] { "key", "value" })
            {
                var name = $"past_key_values.{i}.decoder.{part}";
                inputs.Add(past is null
                    ? Ort.Input(name, Array.Empty<float>(), b, layers[i].SelfAttn.NumHeads, 0, layers[i].SelfAttn.HeadDim)
                    : Ort.Input(name, past[$"present.{i}.decoder.{part}"].Data, past[$"present.{i}.decoder.{part}"].Shape));
            }
        return inputs;
    }
}
