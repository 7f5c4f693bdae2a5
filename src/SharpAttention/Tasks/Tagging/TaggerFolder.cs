using SharpAttention.Data;
using SharpAttention.Models;

namespace SharpAttention.Tasks.Tagging;

/// <summary>What config.json of a tagger folder holds beyond the encoder (Hugging Face's token-classification config:
/// id2label / label2id; ours: the tag scheme, character vocabulary and alignment limits).</summary>
public sealed record TaggerSettings(IReadOnlyList<string> Tags, TagScheme Scheme, bool ConstrainedDecoding, int MaxLength,
    IReadOnlyList<char> CharVocabulary, int CharDim, int MaxPiecesPerWord, int MaxWordChars);

/// <summary>
/// config.json of a sequence tagger folder, in the Hugging Face manner (<c>architectures</c>, <c>id2label</c>,
/// <c>label2id</c>, snake_case fields). The folder also holds model.safetensors (PyTorch names), the tokenizer files
/// and results.json.
/// </summary>
public static class TaggerFolder
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", ResultsFile = "results.json";

    /// <summary>The distinct training words, one a line in ordinal order: what unseen-word accuracy is measured against
    /// when the model is evaluated later on other data.</summary>
    public const string TrainingWordsFile = "training_words.txt";

    public static void WriteTrainingWords(string dir, IEnumerable<string> words) =>
        IO.AtomicFile.WriteAllText(Path.Combine(dir, TrainingWordsFile), string.Concat(words.Order(StringComparer.Ordinal).Select(w => w + "\n")));

    /// <summary>The training words a folder keeps; null when it keeps none.</summary>
    public static IReadOnlySet<string>? ReadTrainingWords(string dir)
    {
        var path = Path.Combine(dir, TrainingWordsFile);
        return File.Exists(path) ? File.ReadLines(path).Where(w => w.Length > 0).ToHashSet(StringComparer.Ordinal) : null;
    }

    public static void WriteConfig(string dir, EncoderConfig encoder, TaggerSettings settings)
    {
        var json = ModelConfigJson.Create("TokenTagger", encoder, settings.Tags);
        json["tag_scheme"] = settings.Scheme.ToString().ToLowerInvariant();
        json["constrained_decoding"] = settings.ConstrainedDecoding;
        json["max_length"] = settings.MaxLength;
        json["char_dim"] = settings.CharDim;
        json["char_vocab"] = new string([.. settings.CharVocabulary]);
        json["max_pieces_per_word"] = settings.MaxPiecesPerWord;
        json["max_word_chars"] = settings.MaxWordChars;
        ModelConfigJson.Write(Path.Combine(dir, ConfigFile), json);
    }

    /// <exception cref="DataFormatException">the file is missing, lacks a field or holds a value of the wrong kind.</exception>
    public static (EncoderConfig Encoder, TaggerSettings Settings) ReadConfig(string dir)
    {
        var config = ModelConfigJson.Read(Path.Combine(dir, ConfigFile), "sequence tagger");
        var settings = new TaggerSettings(config.Labels(), config.Enum<TagScheme>("tag_scheme"), config.Get<bool>("constrained_decoding"),
            config.Get<int>("max_length"), config.Get<string>("char_vocab").ToCharArray(), config.Get<int>("char_dim"),
            config.Get<int>("max_pieces_per_word"), config.Get<int>("max_word_chars"));
        return (config.Encoder(), settings);
    }
}
