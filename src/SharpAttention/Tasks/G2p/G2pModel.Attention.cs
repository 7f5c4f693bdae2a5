using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Visualization;

namespace SharpAttention.Tasks.G2p;

// Inspection: the decoder's cross-attention from each phoneme produced to the letters read.
public sealed partial class G2pModel
{
    /// <summary>The pronunciation of <paramref name="word"/> (beam search of the recipe's width) and its cross-attention
    /// maps: phonemes (then &lt;eos&gt;) × letters (then &lt;eos&gt;) for every decoder layer and head, then their mean.</summary>
    public (string[] Phonemes, IReadOnlyList<AttentionMap> Maps) Attention(string word)
    {
        var phonemes = Predict([word], Recipe.BeamWidth)[0][0].Phonemes;
        var source = EncodeWord(word);                                          // letters + <eos>
        int[] targetIn = [Vocabulary.BosId, .. Phonemes.Encode(phonemes)];      // <bos> + phonemes
        var perLayer = Network.CrossAttentionWeights(Tensor.FromArray(source, 1, source.Length),
                                                     Tensor.FromArray(targetIn, 1, targetIn.Length));   // each (1, H, T, S)
        string[] rows = [.. phonemes, Vocabulary.Eos], columns = [.. source.Select(id => Graphemes[id])];
        var maps = new List<AttentionMap>();
        for (int layer = 0; layer < perLayer.Length; layer++)
            for (int head = 0; head < perLayer[layer].Shape[1]; head++)
                maps.Add(AttentionMap.FromTensor($"layer {layer + 1} head {head + 1}", perLayer[layer].Select(0, 0).Select(0, head), rows, columns));
        maps.Add(AttentionMap.Average("average of all heads and layers", maps));
        return (phonemes, maps);
    }
}
