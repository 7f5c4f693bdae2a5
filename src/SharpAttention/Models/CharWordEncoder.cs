using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>
/// A word's spelling as one vector (Ma and Hovy 2016's character CNN, as in their BiLSTM-CNN-CRF tagger): character
/// embeddings ("embedding"), a width-3 convolution written as a linear map of each character with its two neighbours
/// ("conv"), ReLU, and a max over the word's characters. Words are written &lt;bow&gt; c1 … cn &lt;eow&gt;, so the
/// windows at the edges see prefixes and suffixes — what marks an unseen word's part of speech (-ly, -ed, capitals,
/// digits, hyphens). Each character's vector is the sum of its own embedding and that of its kind ("kind_embedding":
/// upper case, lower case, digit, punctuation, other — <see cref="KindOf"/>), so a character training never showed
/// (an unk) still says whether it is a capital or a digit. Char id 0 is padding; a row of padding only (no word) gives
/// a zero vector.
/// </summary>
public sealed class CharWordEncoder : Module
{
    public const int PadId = 0, UnkId = 1, BowId = 2, EowId = 3, Width = 3, NumKinds = 6;

    public Embedding Embedding { get; }
    public Embedding KindEmbedding { get; }

    /// <summary>(E, 3 · charDim): the convolution's kernel, its three taps side by side.</summary>
    public Linear Conv { get; }

    public CharWordEncoder(int numChars, int charDim, int dModel, Generator? generator = null)
    {
        if (numChars <= EowId) throw new ArgumentException($"CharWordEncoder: num_chars {numChars} leaves no room for the 4 reserved ids");
        Embedding = RegisterModule("embedding", new Embedding(numChars, charDim, PadId, generator: generator));
        KindEmbedding = RegisterModule("kind_embedding", new Embedding(NumKinds, charDim, 0, generator: generator));
        Conv = RegisterModule("conv", new Linear(Width * charDim, dModel, generator: generator));
    }

    /// <param name="chars">Int64 (B, T, L), L ≥ 3: each position's word as &lt;bow&gt; chars &lt;eow&gt;, padded with 0</param>
    /// <param name="kinds">Int64 (B, T, L): <see cref="KindOf"/> of each character, 0 at padding</param>
    /// <returns>(B, T, E)</returns>
    public Tensor Forward(Tensor chars, Tensor kinds)
    {
        int l = chars.Size(2);
        if (l < Width) throw new ArgumentException($"CharWordEncoder: words need at least {Width} character slots (<bow> c <eow>), got {l}");
        var x = Embedding.Forward(chars) + KindEmbedding.Forward(kinds);        // (B, T, L, C)
        // 1. Windows centred on characters 1 … L−2: each with its left and right neighbour.
        var windows = Tensor.Cat([x.Slice(2, 0, l - 2), x.Slice(2, 1, l - 1), x.Slice(2, 2, l)], 3);   // (B, T, L−2, 3C)
        var h = Conv.Forward(windows).Relu();                                   // (B, T, L−2, E)
        // 2. Zero the windows centred on padding; ReLU outputs are ≥ 0, so the max is then over real characters only.
        var real = chars.Slice(2, 1, l - 1).Ne(PadId).To(h.DType).Unsqueeze(3);  // (B, T, L−2, 1)
        return (h * real).Max(2).Values;                                        // (B, T, E)
    }

    /// <summary>The kind id of a character: 1 upper case, 2 lower case, 3 digit, 4 punctuation or symbol, 5 other
    /// (also the &lt;bow&gt;/&lt;eow&gt; markers); 0 is padding.</summary>
    public static int KindOf(char c) =>
        char.IsUpper(c) ? 1 : char.IsLower(c) ? 2 : char.IsDigit(c) ? 3 : char.IsPunctuation(c) || char.IsSymbol(c) ? 4 : 5;
}
