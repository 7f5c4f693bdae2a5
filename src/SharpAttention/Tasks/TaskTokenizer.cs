using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tasks;

/// <summary>The sub-token vocabulary a task trains for itself: a byte-level BPE written into the model folder and read
/// back as any folder would be, so a trained model and a loaded one tokenize alike.</summary>
public static class TaskTokenizer
{
    /// <summary>RoBERTa's special tokens: &lt;s&gt; opens (cls) and &lt;/s&gt; closes (sep) every row.</summary>
    public static SpecialTokens Specials { get; } = new() { Bos = "<s>", Pad = "<pad>", Eos = "</s>", Unk = "<unk>", Cls = "<s>", Sep = "</s>" };

    /// <summary>Trains a BPE of <paramref name="vocabSize"/> tokens on <paramref name="texts"/> and saves it with its
    /// tokenizer_config.json into <paramref name="dir"/>.</summary>
    /// <returns>the tokenizer as loaded from the folder, its special ids and its vocabulary size</returns>
    public static (Tokenizer Tokenizer, SpecialTokenIds Specials, int VocabSize) TrainBpe(IEnumerable<string> texts, int vocabSize, int maxLength, string dir)
    {
        var bpe = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = Specials.Distinct() }).Train(texts);
        bpe.Save(dir);
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile),
            new TokenizerConfig { Kind = TokenizerKind.Bpe, SpecialTokens = Specials, ModelMaxLength = maxLength }.ToJson());
        var tokenizer = Tokenizers.Load(dir);
        return (tokenizer, Specials.Resolve(tokenizer), bpe.Vocabulary.Count);
    }

    /// <summary>A word-level vocabulary of the lower-cased <paramref name="words"/> (text already split into words: one
    /// word per item, cut on white space only) seen at least <paramref name="minFrequency"/> times, at most
    /// <paramref name="vocabSize"/> entries, saved with its tokenizer_config.json into <paramref name="dir"/>.</summary>
    /// <returns>the tokenizer as loaded from the folder, its special ids and its vocabulary size</returns>
    public static (Tokenizer Tokenizer, SpecialTokenIds Specials, int VocabSize) TrainWordLevel(IEnumerable<string> words, int vocabSize, int minFrequency,
        int maxLength, string dir)
    {
        var word = WordLevelTrainer.Train(words, new WordLevelTrainerOptions
        {
            VocabSize = vocabSize, MinFrequency = minFrequency, Pattern = WordLevelTokenizer.WhitespacePattern, LowerCase = true, SpecialTokens = Specials,
        });
        Tokenizers.Save(word, dir, new TokenizerConfig { Kind = TokenizerKind.Word, SpecialTokens = Specials, ModelMaxLength = maxLength });
        var tokenizer = Tokenizers.Load(dir);
        return (tokenizer, Specials.Resolve(tokenizer), word.Tokens.Count);
    }
}
