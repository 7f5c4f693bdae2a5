using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tasks;

/// <summary>The sub-token vocabulary a task trains for itself: a byte-level BPE written into the model folder and read
/// back as any folder would be, so a trained model and a loaded one tokenize alike.</summary>
public static class TaskTokenizer
{
    /// <summary>RoBERTa's special tokens: &lt;s&gt; opens (cls) and &lt;/s&gt; closes (sep) every row.</summary>
    public static SpecialTokens Specials { get; } = new() { Bos = "<s>", Pad = "<pad>", Eos = "</s>", Unk = "<unk>", Cls = "<s>", Sep = "</s>" };

    /// <summary><see cref="Specials"/> and a mask token, &lt;mask&gt; (RoBERTa's), for masked-language-model pre-training;
    /// it takes id 4, after the other four.</summary>
    public static SpecialTokens MaskedSpecials { get; } = Specials with { Mask = "<mask>" };

    /// <summary>The files <see cref="TrainBpe"/> writes.</summary>
    public static IReadOnlyList<string> BpeFiles { get; } = [Tokenizers.ConfigFile, Text.BpeFiles.VocabFileName, Text.BpeFiles.MergesFileName];

    /// <summary>Trains a BPE of <paramref name="vocabSize"/> tokens on <paramref name="texts"/> and saves it with its
    /// tokenizer_config.json into <paramref name="dir"/>; <paramref name="specials"/> (ids 0, 1, … in declaration
    /// order) are <see cref="Specials"/> unless given.</summary>
    /// <returns>the tokenizer as loaded from the folder, its special ids and its vocabulary size</returns>
    public static (Tokenizer Tokenizer, SpecialTokenIds Specials, int VocabSize) TrainBpe(IEnumerable<string> texts, int vocabSize, int maxLength, string dir,
        SpecialTokens? specials = null)
    {
        specials ??= Specials;
        var bpe = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, SpecialTokens = specials.Distinct() }).Train(texts);
        bpe.Save(dir);
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile),
            new TokenizerConfig { Kind = TokenizerKind.Bpe, SpecialTokens = specials, ModelMaxLength = maxLength }.ToJson());
        var tokenizer = Tokenizers.Load(dir);
        return (tokenizer, specials.Resolve(tokenizer), bpe.Vocabulary.Count);
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
