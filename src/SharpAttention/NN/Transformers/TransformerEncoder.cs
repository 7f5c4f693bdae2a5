using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>
/// A stack of encoder layers with an optional final normalisation (PyTorch's torch.nn.TransformerEncoder); state_dict
/// keys "layers.0.self_attn.in_proj_weight" … and "norm.weight"/"norm.bias". Built from one layer, the stack holds
/// <c>numLayers</c> deep copies of it, as torch does (so they start equal; <see cref="Transformer"/> then redraws
/// them); built from a factory, each layer is its own draw.
/// </summary>
public sealed class TransformerEncoder : Module
{
    public ModuleList<TransformerEncoderLayer> Layers { get; }

    /// <summary>The final <see cref="LayerNorm"/> or <see cref="RmsNorm"/> (pre-LN stacks need one), or null.</summary>
    public Module? Norm { get; }

    public int NumLayers => Layers.Count;

    /// <summary>torch's TransformerEncoder(encoder_layer, num_layers, norm): <paramref name="numLayers"/> deep copies of
    /// <paramref name="encoderLayer"/> (which itself is not part of the stack).</summary>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module? norm = null)
        : this(_ => encoderLayer.Clone(), numLayers, norm) => ArgumentNullException.ThrowIfNull(encoderLayer);

    /// <summary>A stack of <paramref name="numLayers"/> layers made by <paramref name="makeLayer"/>(index).</summary>
    public TransformerEncoder(Func<int, TransformerEncoderLayer> makeLayer, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(makeLayer);
        if (numLayers < 0) throw new ArgumentException($"TransformerEncoder: num_layers must be non-negative, got {numLayers}");
        if (norm is not (null or LayerNorm or RmsNorm)) throw new ArgumentException($"TransformerEncoder: norm must be a LayerNorm or RmsNorm, got {norm.GetType().Name}");
        Layers = RegisterModule("layers", new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, numLayers).Select(makeLayer)));
        if (norm != null) Norm = RegisterModule("norm", norm);
    }

    /// <summary>Runs every layer in turn with the same masks, then the final norm (torch's forward(src, mask,
    /// src_key_padding_mask, is_causal)); shapes and masks as <see cref="TransformerEncoderLayer.Forward"/>.</summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        foreach (var layer in Layers) x = layer.Forward(x, mask, srcKeyPaddingMask, isCausal);
        return Norm != null ? LayerParts.Apply(Norm, x) : x;
    }
}
