using SharpAttention.NN.Attention;
using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>
/// A stack of decoder layers with an optional final normalisation (PyTorch's torch.nn.TransformerDecoder); state_dict
/// keys "layers.0.self_attn.in_proj_weight" …, "layers.0.multihead_attn.…" and "norm.weight"/"norm.bias". Built from
/// one layer, the stack holds <c>numLayers</c> deep copies of it, as torch does.
/// </summary>
public sealed class TransformerDecoder : Module
{
    public ModuleList<TransformerDecoderLayer> Layers { get; }

    /// <summary>The final <see cref="LayerNorm"/> or <see cref="RmsNorm"/>, or null.</summary>
    public Module? Norm { get; }

    public int NumLayers => Layers.Count;

    /// <summary>torch's TransformerDecoder(decoder_layer, num_layers, norm): <paramref name="numLayers"/> deep copies.</summary>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, Module? norm = null)
        : this(_ => decoderLayer.Clone(), numLayers, norm) => ArgumentNullException.ThrowIfNull(decoderLayer);

    /// <summary>A stack of <paramref name="numLayers"/> layers made by <paramref name="makeLayer"/>(index).</summary>
    public TransformerDecoder(Func<int, TransformerDecoderLayer> makeLayer, int numLayers, Module? norm = null)
    {
        ArgumentNullException.ThrowIfNull(makeLayer);
        if (numLayers < 0) throw new ArgumentException($"TransformerDecoder: num_layers must be non-negative, got {numLayers}");
        if (norm is not (null or LayerNorm or RmsNorm)) throw new ArgumentException($"TransformerDecoder: norm must be a LayerNorm or RmsNorm, got {norm.GetType().Name}");
        Layers = RegisterModule("layers", new ModuleList<TransformerDecoderLayer>(Enumerable.Range(0, numLayers).Select(makeLayer)));
        if (norm != null) Norm = RegisterModule("norm", norm);
    }

    /// <summary>Runs every layer in turn against the same memory and masks, then the final norm; shapes and masks as
    /// <see cref="TransformerDecoderLayer.Forward"/>.</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        foreach (var layer in Layers)
            x = layer.Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        return Norm != null ? LayerParts.Apply(Norm, x) : x;
    }

    /// <summary>Every layer's <see cref="TransformerDecoderLayer.ForwardIncremental"/> for T new positions, then the
    /// final norm; one self-attention cache and one projected memory per layer.</summary>
    /// <param name="tgt">(B, T, E) batch-first</param>
    /// <param name="selfCaches">per layer</param>
    /// <param name="memoryCaches">per layer</param>
    /// <returns>(B, T, E)</returns>
    public Tensor ForwardIncremental(Tensor tgt, IReadOnlyList<KvCache> selfCaches, IReadOnlyList<KvCache> memoryCaches)
    {
        if (selfCaches.Count != NumLayers || memoryCaches.Count != NumLayers)
            throw new ArgumentException($"TransformerDecoder: need one cache per layer ({NumLayers}), got {selfCaches.Count} and {memoryCaches.Count}");
        var x = tgt;
        for (int i = 0; i < NumLayers; i++) x = Layers[i].ForwardIncremental(x, selfCaches[i], memoryCaches[i]);
        return Norm != null ? LayerParts.Apply(Norm, x) : x;
    }

    /// <summary>Projects <paramref name="memory"/> (B, S, E) once per layer for <see cref="ForwardIncremental"/>.</summary>
    /// <param name="memory">(B, S, E) batch-first</param>
    /// <param name="memoryKeyPaddingMask">(B, S): true at padding, or null</param>
    public KvCache[] ProjectMemory(Tensor memory, Tensor? memoryKeyPaddingMask = null) =>
        [.. Layers.Select(layer => layer.MultiheadAttn.ProjectMemory(memory, memoryKeyPaddingMask))];
}
