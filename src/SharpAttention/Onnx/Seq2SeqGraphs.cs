using Onnx;
using SharpAttention.Models;
using SharpAttention.NN.Positional;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SharpAttention.Onnx;

/// <summary>
/// <see cref="Seq2SeqTransformer"/> as Hugging Face Optimum's three graphs. "encoder_model.onnx": "input_ids",
/// "attention_mask" (batch_size, encoder_sequence_length; 1 = real token) → "last_hidden_state". "decoder_model.onnx"
/// (the first step): "input_ids" (batch_size, sequence_length), "encoder_attention_mask", "encoder_hidden_states" →
/// "logits", per layer "present.{i}.decoder.key"/".value" (batch_size, heads, sequence_length, head dim) and the
/// cross-attention's "present.{i}.encoder.key"/".value" (batch_size, heads, encoder_sequence_length, head dim).
/// "decoder_with_past_model.onnx" (every later step): "input_ids", "encoder_attention_mask" and per layer
/// "past_key_values.{i}.decoder.key"/".value" and ".encoder.key"/".value" → "logits" and "present.{i}.decoder.key"/".value"
/// with the new positions appended; the encoder's keys and values are projected once, by decoder_model. Target positions
/// continue from the past length and target tokens are never masked as padding (decoding never feeds padding).
/// </summary>
internal static class Seq2SeqGraphs
{
    public const string EncoderFile = "encoder_model.onnx", DecoderFile = "decoder_model.onnx", DecoderWithPastFile = "decoder_with_past_model.onnx";

    const string Batch = "batch_size", Source = "encoder_sequence_length", Sequence = "sequence_length",
        Past = "past_sequence_length", Total = "past_sequence_length + sequence_length";

    public static ModelProto Encoder(Seq2SeqTransformer model, OnnxExportOptions options)
    {
        var b = new OnnxGraphBuilder("seq2seq_encoder", model, options.Opset);
        var ids = b.Input("input_ids", DataType.Int64, Batch, Source);
        var mask = b.Input("attention_mask", DataType.Int64, Batch, Source);
        var length = b.ShapeSlice(ids, 1);   // (1) = [S]
        var x = Embed(b, model, model.SrcEmbedding.Weight, model.SrcPosition, ids, b.Int64s([0]), length);
        var blocked = b.Unsqueeze(b.Node("Equal", [mask, b.Int64(0)]), [1, 2]);        // (B, 1, 1, S)
        var encoder = model.Transformer.Encoder;
        foreach (var layer in encoder.Layers) x = OnnxLayers.EncoderLayer(b, layer, x, blocked, null, options.Fused).Output;
        if (encoder.Norm is not null) x = b.Norm(x, encoder.Norm);
        b.Output("last_hidden_state", x, DataType.Float, Batch, Source, model.Config.DModel);
        return b.Build("Seq2SeqTransformer encoder");
    }

    /// <summary>decoder_model (<paramref name="withPast"/> false) or decoder_with_past_model (true).</summary>
    public static ModelProto Decoder(Seq2SeqTransformer model, OnnxExportOptions options, bool withPast)
    {
        var b = new OnnxGraphBuilder(withPast ? "seq2seq_decoder_with_past" : "seq2seq_decoder", model, options.Opset);
        var decoder = model.Transformer.Decoder;
        int layers = decoder.Layers.Count, d = model.Config.DModel;
        var ids = b.Input("input_ids", DataType.Int64, Batch, Sequence);
        var memoryMask = b.Input("encoder_attention_mask", DataType.Int64, Batch, Source);
        var memory = withPast ? null : b.Input("encoder_hidden_states", DataType.Float, Batch, Source, d);
        var past = new (string Key, string Value)[layers];
        var cross = new (string Key, string Value)[layers];
        for (int i = 0; i < layers; i++)
        {
            var (self, mha) = (decoder.Layers[i].SelfAttn, decoder.Layers[i].MultiheadAttn);
            if (!withPast)
            {
                cross[i] = OnnxAttention.CrossKeyValue(b, mha, memory!);
                b.Output($"present.{i}.encoder.key", cross[i].Key, DataType.Float, Batch, mha.NumKvHeads, Source, mha.HeadDim);
                b.Output($"present.{i}.encoder.value", cross[i].Value, DataType.Float, Batch, mha.NumKvHeads, Source, mha.HeadDim);
                continue;
            }
            past[i] = (b.Input($"past_key_values.{i}.decoder.key", DataType.Float, Batch, self.NumHeads, Past, self.HeadDim),
                       b.Input($"past_key_values.{i}.decoder.value", DataType.Float, Batch, self.NumHeads, Past, self.HeadDim));
            cross[i] = (b.Input($"past_key_values.{i}.encoder.key", DataType.Float, Batch, mha.NumKvHeads, Source, mha.HeadDim),
                        b.Input($"past_key_values.{i}.encoder.value", DataType.Float, Batch, mha.NumKvHeads, Source, mha.HeadDim));
        }

        // 1. Target positions P … P + T − 1 after the P cached ones (P = 0 in decoder_model).
        var start = withPast && layers > 0 ? b.ShapeSlice(past[0].Key, 2) : b.Int64s([0]);
        var end = b.Add(start, b.ShapeSlice(ids, 1));   // (1) each
        var x = Embed(b, model, model.TgtEmbedding.Weight, model.TgtPosition, ids, start, end);

        // 2. Causal self-attention over the cache, (1, 1, T, P + T); cross-attention blocked at source padding (B, 1, 1, S).
        var first = b.Node("Squeeze", [start, b.Int64s([0])]);
        var total = b.Node("Squeeze", [end, b.Int64s([0])]);
        var queryPos = b.Unsqueeze(b.Node("Range", [first, total, b.Int64(1)]), [1]);   // (T, 1)
        var keyPos = b.Unsqueeze(b.Node("Range", [b.Int64(0), total, b.Int64(1)]), [0]);  // (1, P + T)
        var causal = b.Unsqueeze(b.Node("Greater", [keyPos, queryPos]), [0, 1]);
        var memoryBlocked = b.Unsqueeze(b.Node("Equal", [memoryMask, b.Int64(0)]), [1, 2]);

        for (int i = 0; i < layers; i++)
        {
            var (y, key, value) = OnnxLayers.DecoderLayer(b, decoder.Layers[i], x, cross[i], causal, memoryBlocked, options.Fused,
                withPast ? past[i].Key : null, withPast ? past[i].Value : null);
            x = y;
            var attn = decoder.Layers[i].SelfAttn;
            b.Output($"present.{i}.decoder.key", key, DataType.Float, Batch, attn.NumHeads, withPast ? Total : Sequence, attn.HeadDim);
            b.Output($"present.{i}.decoder.value", value, DataType.Float, Batch, attn.NumHeads, withPast ? Total : Sequence, attn.HeadDim);
        }
        if (decoder.Norm is not null) x = b.Norm(x, decoder.Norm);
        var projection = model.OutputProjection;
        b.Output("logits", b.Linear(x, projection.Weight, projection.Bias), DataType.Float, Batch, Sequence, model.Config.TgtVocabSize);
        return b.Build(withPast ? "Seq2SeqTransformer decoder with past" : "Seq2SeqTransformer decoder (first step)");
    }

    /// <summary>Token embeddings (scaled by √E when configured) plus the positions start … end − 1 ((1) int64 values).</summary>
    static string Embed(OnnxGraphBuilder b, Seq2SeqTransformer model, Tensors.Tensor table, LearnedPositionalEmbedding? learned,
        string ids, string start, string end)
    {
        var x = b.Gather(b.Weight(table), ids);                                          // (B, T, E)
        if (model.Config.ScaleEmbeddings) x = b.Mul(x, b.Float((float)Math.Sqrt(model.Config.DModel)));
        var positions = learned is not null
            ? b.Slice(b.Weight(learned.Weight), start, end, 0)                           // (T, E)
            : b.Slice(b.Weight(model.PositionalEncoding!.Pe), start, end, 1);            // (1, T, E)
        return b.Add(x, positions);
    }
}
