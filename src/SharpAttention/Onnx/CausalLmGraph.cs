using Onnx;
using SharpAttention.Models;
using SharpAttention.NN;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SharpAttention.Onnx;

/// <summary>
/// <see cref="CausalLanguageModel"/> as one decoder-with-past graph in Hugging Face Optimum's layout (what ORT-GenAI and
/// Optimum's ORTModelForCausalLM run): inputs "input_ids" (batch_size, sequence_length), "attention_mask"
/// (batch_size, past_sequence_length + sequence_length; 1 = real token), "position_ids" (batch_size, sequence_length)
/// and per layer "past_key_values.{i}.key"/".value" (batch_size, kv heads, past_sequence_length, head dim); outputs
/// "logits" (batch_size, sequence_length, vocab) and "present.{i}.key"/".value" with the new positions appended.
/// The first call passes an empty past (length 0). Keys are cached after RoPE, as Hugging Face caches them.
/// </summary>
internal static class CausalLmGraph
{
    const string Batch = "batch_size", Sequence = "sequence_length", Past = "past_sequence_length",
        Total = "past_sequence_length + sequence_length";

    /// <summary>Graph input and output names (also written into <see cref="GenAiConfig"/>'s templates, "%d" for the layer).</summary>
    internal const string InputIds = "input_ids", AttentionMask = "attention_mask", PositionIds = "position_ids", Logits = "logits";

    internal static string PastKey(string layer) => $"past_key_values.{layer}.key";
    internal static string PastValue(string layer) => $"past_key_values.{layer}.value";
    internal static string PresentKey(string layer) => $"present.{layer}.key";
    internal static string PresentValue(string layer) => $"present.{layer}.value";

    public static ModelProto Build(CausalLanguageModel model, OnnxExportOptions options)
    {
        var config = model.Config;
        if (config.Positions is not (PositionEncoding.Learned or PositionEncoding.Sinusoidal or PositionEncoding.Rotary))
            throw new OnnxExportException($"{config.Positions.ToString().ToLowerInvariant()} positions");
        var b = new OnnxGraphBuilder("causal_lm_with_past", model, options.Opset);
        var ids = b.Input(InputIds, DataType.Int64, Batch, Sequence);
        var mask = b.Input(AttentionMask, DataType.Int64, Batch, Total);
        var positions = b.Input(PositionIds, DataType.Int64, Batch, Sequence);
        int layers = model.Layers.Count;
        var past = new (string Key, string Value)[layers];
        for (int i = 0; i < layers; i++)
        {
            var attn = model.Layers[i].SelfAttn;
            past[i] = (b.Input(PastKey($"{i}"), DataType.Float, Batch, attn.NumKvHeads, Past, attn.HeadDim),
                       b.Input(PastValue($"{i}"), DataType.Float, Batch, attn.NumKvHeads, Past, attn.HeadDim));
        }

        // 1. Embeddings and positions (by position_ids).
        var x = b.Gather(b.Weight(model.TokenEmbedding.Weight), ids);                   // (B, T, E)
        OnnxRope? rope = null;
        if (config.Positions == PositionEncoding.Learned)
            x = b.Add(x, b.Gather(b.Weight(model.PositionEmbedding!.Weight), positions));
        else if (config.Positions == PositionEncoding.Sinusoidal)                        // the table for MaxLen positions
            x = b.Add(x, b.Gather(b.Store("positional_encoding.pe", F.SinusoidalPositionalEncoding(config.MaxLen, config.DModel)), positions));
        else if (layers > 0)
            rope = OnnxRope.FromPositions(b, positions, model.Layers[0].SelfAttn.Rotary!);

        // 2. Blocked = padding key (B, 1, 1, S) or a key after the query (T, S); the T queries are the last positions.
        var total = b.Dim(mask, 1);
        var first = b.Sub(total, b.Dim(ids, 1));
        var queryPos = b.Unsqueeze(b.Node("Range", [first, total, b.Int64(1)]), [1]);   // (T, 1)
        var keyPos = b.Unsqueeze(b.Node("Range", [b.Int64(0), total, b.Int64(1)]), [0]);  // (1, S)
        var causal = b.Node("Greater", [keyPos, queryPos]);                              // (T, S)
        var pad = b.Unsqueeze(b.Node("Equal", [mask, b.Int64(0)]), [1, 2]);             // (B, 1, 1, S)
        var blocked = b.Node("Or", [pad, causal]);                                       // (B, 1, T, S)

        // 3. Layers, each appending to its cache.
        for (int i = 0; i < layers; i++)
        {
            var (y, key, value) = OnnxLayers.EncoderLayer(b, model.Layers[i], x, blocked, rope, options.Fused, past[i].Key, past[i].Value);
            x = y;
            var attn = model.Layers[i].SelfAttn;
            b.Output(PresentKey($"{i}"), key, DataType.Float, Batch, attn.NumKvHeads, Total, attn.HeadDim);
            b.Output(PresentValue($"{i}"), value, DataType.Float, Batch, attn.NumKvHeads, Total, attn.HeadDim);
        }

        // 4. Final norm and the (tied) output projection.
        x = b.Norm(x, model.Norm);
        b.Output(Logits, b.Linear(x, model.LmHead.Weight, model.LmHead.Bias), DataType.Float, Batch, Sequence, config.VocabSize);
        return b.Build($"CausalLanguageModel with past, {layers} layers, {config.Positions.ToString().ToLowerInvariant()} positions");
    }
}
