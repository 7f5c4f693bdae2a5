using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.G2p;

/// <summary>The cross-attention maps of a word: letters × phonemes for every decoder layer and head, and their mean.</summary>
public static class G2pAttention
{
    public static (string[] Phonemes, IReadOnlyList<AttentionMap> Maps) Maps(G2pModel model, string word)
    {
        var phonemes = G2pPredictor.Predict(model, [word], model.Recipe.BeamWidth)[0][0].Phonemes;
        var source = model.EncodeWord(word);                                          // letters + <eos>
        int[] targetIn = [Vocabulary.BosId, .. model.Phonemes.Encode(phonemes)];      // <bos> + phonemes
        var perLayer = model.Network.CrossAttentionWeights(Tensor.FromArray(source, 1, source.Length),
                                                           Tensor.FromArray(targetIn, 1, targetIn.Length));   // each (1, H, T, S)
        string[] rows = [.. phonemes, Vocabulary.Eos], columns = [.. source.Select(id => model.Graphemes[id])];
        var maps = new List<AttentionMap>();
        for (int layer = 0; layer < perLayer.Length; layer++)
            for (int head = 0; head < perLayer[layer].Shape[1]; head++)
                maps.Add(AttentionMap.FromTensor($"layer {layer + 1} head {head + 1}", perLayer[layer].Select(0, 0).Select(0, head), rows, columns));
        maps.Add(AttentionMap.Average("average of all heads and layers", maps));
        return (phonemes, maps);
    }
}
