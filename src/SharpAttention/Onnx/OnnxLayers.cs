using SharpAttention.NN.Transformers;

namespace SharpAttention.Onnx;

/// <summary>Transformer layers as ONNX operators, pre-LN or post-LN exactly as their Forward: the encoder layer (also the
/// decoder-only models' block, with a cache) and the encoder-decoder model's decoder layer. Inference only: dropout is
/// the identity.</summary>
internal static class OnnxLayers
{
    /// <summary>One <see cref="TransformerEncoderLayer"/>: x (B, T, E) → (B, T, E) and the present cache of its
    /// self-attention (meaningful when a past cache is given).</summary>
    public static (string Output, string Key, string Value) EncoderLayer(OnnxGraphBuilder b, TransformerEncoderLayer layer, string x,
        string? blocked, OnnxRope? rope, bool fused, string? pastKey = null, string? pastValue = null)
    {
        if (layer.NormFirst)
        {
            var (attn, k, v) = OnnxAttention.SelfAttention(b, layer.SelfAttn, b.Norm(x, layer.Norm1), blocked, rope, pastKey, pastValue, fused);
            x = b.Add(x, attn);
            return (b.Add(x, FeedForward(b, layer.Linear1, layer.Linear2, layer.FeedForward, layer.Activation, b.Norm(x, layer.Norm2))), k, v);
        }
        var (a, key, value) = OnnxAttention.SelfAttention(b, layer.SelfAttn, x, blocked, rope, pastKey, pastValue, fused);
        x = b.Norm(b.Add(x, a), layer.Norm1);
        return (b.Norm(b.Add(x, FeedForward(b, layer.Linear1, layer.Linear2, layer.FeedForward, layer.Activation, x)), layer.Norm2), key, value);
    }

    /// <summary>One <see cref="TransformerDecoderLayer"/>: causal self-attention with a cache, cross-attention to the
    /// memory's keys and values (B, H, S, D) (<see cref="OnnxAttention.CrossKeyValue"/>), feed-forward.</summary>
    public static (string Output, string Key, string Value) DecoderLayer(OnnxGraphBuilder b, TransformerDecoderLayer layer, string x,
        (string Key, string Value) memory, string? selfBlocked, string? memoryBlocked, bool fused, string? pastKey, string? pastValue)
    {
        string key, value;
        if (layer.NormFirst)
        {
            (var attn, key, value) = OnnxAttention.SelfAttention(b, layer.SelfAttn, b.Norm(x, layer.Norm1), selfBlocked, null, pastKey, pastValue, fused);
            x = b.Add(x, attn);
            x = b.Add(x, OnnxAttention.CrossAttention(b, layer.MultiheadAttn, b.Norm(x, layer.Norm2), memory.Key, memory.Value, memoryBlocked, fused));
            x = b.Add(x, FeedForward(b, layer.Linear1, layer.Linear2, layer.FeedForward, layer.Activation, b.Norm(x, layer.Norm3)));
            return (x, key, value);
        }
        (var a, key, value) = OnnxAttention.SelfAttention(b, layer.SelfAttn, x, selfBlocked, null, pastKey, pastValue, fused);
        x = b.Norm(b.Add(x, a), layer.Norm1);
        x = b.Norm(b.Add(x, OnnxAttention.CrossAttention(b, layer.MultiheadAttn, x, memory.Key, memory.Value, memoryBlocked, fused)), layer.Norm2);
        x = b.Norm(b.Add(x, FeedForward(b, layer.Linear1, layer.Linear2, layer.FeedForward, layer.Activation, x)), layer.Norm3);
        return (x, key, value);
    }

    /// <summary>linear2(act(linear1(x))) for ReLU/GELU, or SwiGLU's w2(silu(w1·x) ⊙ w3·x).</summary>
    static string FeedForward(OnnxGraphBuilder b, NN.Linear? linear1, NN.Linear? linear2, SwiGluFeedForward? swiGlu, Activation activation, string x)
    {
        if (swiGlu is not null) return b.Linear(b.Mul(b.Silu(b.Linear(x, swiGlu.W1)), b.Linear(x, swiGlu.W3)), swiGlu.W2);
        var hidden = b.Linear(x, linear1!);
        hidden = activation switch
        {
            Activation.Relu => b.Relu(hidden),
            Activation.Gelu => b.Gelu(hidden),
            _ => throw new OnnxExportException($"activation {activation}"),
        };
        return b.Linear(hidden, linear2!);
    }
}
