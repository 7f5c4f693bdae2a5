using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// A word's spelling as one vector (Ma and Hovy 2016's character CNN, as in their BiLSTM-CNN-CRF tagger): character
/// embeddings ("embedding"), a width-3 convolution written as a linear map of each character with its two neighbours
/// ("conv"), ReLU, and a max over the word's characters. Words are written &lt;bow&gt; c1 … cn &lt;eow&gt;, so the
/// windows at the edges see prefixes and suffixes — what marks an unseen word's part of speech (-ly, -ed, capitals,
/// digits, hyphens). Char id 0 is padding; a row of padding only (no word) gives a zero vector.
/// </summary>
public sealed class CharWordEncoder : Module
{
    public const int PadId = 0, UnkId = 1, BowId = 2, EowId = 3, Width = 3;

    public Embedding Embedding { get; }

    /// <summary>(E, 3 · charDim): the convolution's kernel, its three taps side by side.</summary>
    public Linear Conv { get; }

    public CharWordEncoder(int numChars, int charDim, int dModel, Generator? generator = null)
    {
        if (numChars <= EowId) throw new ArgumentException($"CharWordEncoder: num_chars {numChars} leaves no room for the 4 reserved ids");
        Embedding = RegisterModule("embedding", new Embedding(numChars, charDim, PadId, generator: generator));
        Conv = RegisterModule("conv", new Linear(Width * charDim, dModel, generator: generator));
    }

    /// <param name="chars">Int64 (B, T, L), L ≥ 3: each position's word as &lt;bow&gt; chars &lt;eow&gt;, padded with 0</param>
    /// <returns>(B, T, E)</returns>
    public Tensor Forward(Tensor chars)
    {
        int l = chars.Size(2);
        if (l < Width) throw new ArgumentException($"CharWordEncoder: words need at least {Width} character slots (<bow> c <eow>), got {l}");
        var x = Embedding.Forward(chars);                                       // (B, T, L, C)
        // 1. Windows centred on characters 1 … L−2: each with its left and right neighbour.
        var windows = Tensor.Cat([x.Slice(2, 0, l - 2), x.Slice(2, 1, l - 1), x.Slice(2, 2, l)], 3);   // (B, T, L−2, 3C)
        var h = Conv.Forward(windows).Relu();                                   // (B, T, L−2, E)
        // 2. Zero the windows centred on padding; ReLU outputs are ≥ 0, so the max is then over real characters only.
        var real = chars.Slice(2, 1, l - 1).Ne(PadId).To(h.DType).Unsqueeze(3);  // (B, T, L−2, 1)
        return (h * real).Max(2).Values;                                        // (B, T, E)
    }
}
