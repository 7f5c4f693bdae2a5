using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// A trained byte-level BPE: the vocabulary in id order (special tokens, the 256 byte symbols, merged tokens), the
/// merges in rank order, and which tokens are special. Saves as Hugging Face's vocab.json + merges.txt.
/// </summary>
public sealed record ByteLevelBpeModel(
    IReadOnlyList<string> Vocabulary,
    IReadOnlyList<(string Left, string Right)> Merges,
    IReadOnlyDictionary<string, int> SpecialTokens)
{
    public const string VocabFileName = BpeFiles.VocabFileName, MergesFileName = BpeFiles.MergesFileName;

    /// <summary>Writes vocab.json and merges.txt into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory) => BpeFiles.Write(directory, Vocabulary, Merges);

    /// <summary>The Microsoft.ML.Tokenizers tokenizer for these tables, as <see cref="ByteLevelBpe.Load"/> would build
    /// it from the saved files.</summary>
    public Tokenizer ToTokenizer() =>
        ByteLevelBpe.Create(Vocabulary.Select((t, id) => (t, id)).ToDictionary(e => e.t, e => e.id, StringComparer.Ordinal), Merges, SpecialTokens);
}
