using Onnx;
using SharpAttention.Models;
using DataType = Onnx.TensorProto.Types.DataType;

namespace SharpAttention.Onnx;

/// <summary>
/// Graphs of the encoder models, in Hugging Face Optimum's layout for BERT-like models: inputs "input_ids" and
/// "attention_mask" (int64 (batch_size, sequence_length), 1 at real tokens and 0 at padding), output "logits" — (batch_size, classes)
/// for <see cref="EncoderClassifier"/>, (batch_size, sequence_length, tags) for <see cref="TokenTagger"/>.
/// </summary>
internal static class EncoderGraphs
{
    const string Batch = "batch_size", Sequence = "sequence_length";

    public static ModelProto Classifier(EncoderClassifier model, OnnxExportOptions options)
    {
        var b = new OnnxGraphBuilder("encoder_classifier", model, options.Opset);
        var (h, mask) = Encode(b, model.Backbone, options.Fused);                        // (B, T, E), (B, T) int64
        var pad = b.Node("Equal", [mask, b.Int64(0)]);                                   // (B, T) true at padding
        var pooled = Pool(b, model.Pooler, h, pad);        // (B, E)
        b.Output("logits", b.Linear(pooled, model.Head), DataType.Float, Batch, model.NumClasses);
        return b.Build($"EncoderClassifier, {model.Pooling.ToString().ToLowerInvariant()} pooling, {model.NumClasses} classes");
    }

    public static ModelProto Tagger(TokenTagger model, OnnxExportOptions options)
    {
        if (model.CharEncoder is not null) throw new OnnxExportException("a TokenTagger with a char_encoder (each word's spelling)");
        var b = new OnnxGraphBuilder("token_tagger", model, options.Opset);
        var (h, _) = Encode(b, model.Backbone, options.Fused);
        b.Output("logits", b.Linear(h, model.Head), DataType.Float, Batch, Sequence, model.NumTags);
        return b.Build($"TokenTagger, {model.NumTags} tags");
    }

    /// <summary>Declares the inputs and emits <see cref="TokenEncoder.Forward"/>: (B, T, E) and the attention mask input.</summary>
    static (string Hidden, string Mask) Encode(OnnxGraphBuilder b, TokenEncoder encoder, bool fused)
    {
        var config = encoder.Config;
        var ids = b.Input("input_ids", DataType.Int64, Batch, Sequence);
        var mask = b.Input("attention_mask", DataType.Int64, Batch, Sequence);
        var x = b.Gather(b.Weight(encoder.TokenEmbedding.Weight), ids);                 // (B, T, E)
        if (config.ScaleEmbeddings) x = b.Mul(x, b.Float((float)Math.Sqrt(config.DModel)));
        var length = b.ShapeSlice(ids, 1);   // (1) = [T]
        OnnxRope? rope = null;
        if (encoder.PositionEmbedding is not null)                                       // + W[0 : T], (T, E)
            x = b.Add(x, b.Slice(b.Weight(encoder.PositionEmbedding.Weight), b.Int64s([0]), length, 0));
        else if (encoder.PositionalEncoding is not null)                                 // + pe[:, 0 : T], (1, T, E)
            x = b.Add(x, b.Slice(b.Weight(encoder.PositionalEncoding.Pe), b.Int64s([0]), length, 1));
        else if (encoder.Encoder.Layers.Count > 0 && encoder.Encoder.Layers[0].SelfAttn.Rotary is { } rotary)
        {
            var positions = b.Unsqueeze(b.Node("Range", [b.Int64(0), b.Dim(ids, 1), b.Int64(1)]), [0]);   // (1, T)
            rope = OnnxRope.FromPositions(b, positions, rotary);
        }
        var blocked = b.Unsqueeze(b.Node("Equal", [mask, b.Int64(0)]), [1, 2]);        // (B, 1, 1, T)
        foreach (var layer in encoder.Encoder.Layers) x = OnnxLayers.EncoderLayer(b, layer, x, blocked, rope, fused).Output;
        if (encoder.Encoder.Norm is not null) x = b.Norm(x, encoder.Encoder.Norm);
        return (x, mask);
    }

    /// <summary><see cref="SequencePooler"/>: h (B, T, E) and pad (B, T) bool → (B, E), never reading padding.</summary>
    static string Pool(OnnxGraphBuilder b, SequencePooler pooler, string h, string pad)
    {
        var pad3 = b.Unsqueeze(pad, [-1]);                                               // (B, T, 1)
        switch (pooler.Mode)
        {
            case Pooling.Cls:
                return b.Gather(h, b.Int64(0), 1);
            case Pooling.Mean:
                var sum = b.Reduce("ReduceSum", b.Where(pad3, b.Float(0f), h), [1], keepDims: false);          // (B, E)
                var keep = b.Cast(b.Node("Not", [pad3]), DataType.Float);
                var count = b.Node("Max", [b.Reduce("ReduceSum", keep, [1], keepDims: false), b.Float(1f)]);   // (B, 1)
                return b.Div(sum, count);
            case Pooling.Max:
                return b.Reduce("ReduceMax", b.Where(pad3, b.Float(float.NegativeInfinity), h), [1], keepDims: false);
            default:
                // softmax over T of h·q (SequencePooler's unscaled score) with padding at −∞; padded vectors zeroed
                // before the weighted sum.
                var scores = b.Reduce("ReduceSum", b.Mul(h, b.Weight(pooler.Query!)), [-1], keepDims: false); // (B, T)
                var weights = b.Softmax(b.Where(pad, b.Float(float.NegativeInfinity), scores));
                var values = b.Where(pad3, b.Float(0f), h);
                return b.Reduce("ReduceSum", b.Mul(values, b.Unsqueeze(weights, [-1])), [1], keepDims: false);
        }
    }
}
