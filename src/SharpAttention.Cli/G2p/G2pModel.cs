using SharpAttention.IO;
using SharpAttention.NN;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Text;

namespace SharpAttention.Cli.G2p;

/// <summary>
/// A trained grapheme-to-phoneme model as a folder: recipe.json (the network's shape and how it was trained),
/// source_tokenizer/ (letters, char level) and target_tokenizer/ (phonemes, word level) in the Hugging Face tokenizer
/// layout, and model.safetensors (PyTorch state_dict names). Folders written before the tokenizer layout hold
/// graphemes.txt and phonemes.txt instead (one token per line, same ids) and still load. Words are spelled in upper
/// case, as in cmudict.
/// </summary>
public sealed class G2pModel
{
    public const string RecipeFile = "recipe.json", GraphemesFile = "graphemes.txt", PhonemesFile = "phonemes.txt", WeightsFile = "model.safetensors";
    public const string SourceTokenizerFolder = "source_tokenizer", TargetTokenizerFolder = "target_tokenizer";

    public G2pRecipe Recipe { get; }
    public Vocabulary Graphemes { get; }
    public Vocabulary Phonemes { get; }
    public Seq2SeqTransformer Network { get; }

    public G2pModel(G2pRecipe recipe, Vocabulary graphemes, Vocabulary phonemes, Generator? generator = null)
    {
        (Recipe, Graphemes, Phonemes) = (recipe, graphemes, phonemes);
        Network = new Seq2SeqTransformer(recipe.ModelConfig(graphemes.Count, phonemes.Count), generator);
    }

    /// <summary>Source ids of a word: its letters (upper-cased) and &lt;eos&gt;.</summary>
    public int[] EncodeWord(string word) => Graphemes.Encode(Vocabulary.Characters(word.ToUpperInvariant()), addEos: true);

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        WriteAtomically(Path.Combine(folder, RecipeFile), Recipe.ToJson());
        Graphemes.SaveTokenizer(Path.Combine(folder, SourceTokenizerFolder), TokenizerKind.Char);
        Phonemes.SaveTokenizer(Path.Combine(folder, TargetTokenizerFolder), TokenizerKind.Word);
        Network.SaveSafetensors(Path.Combine(folder, WeightsFile), new Dictionary<string, string> { ["task"] = "g2p" });
    }

    /// <summary>Loads a folder written by <see cref="Save"/>; anything missing or mismatched is a clear error.</summary>
    public static G2pModel Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new CliException($"--model: folder '{folder}' does not exist");
        string Need(string name)
        {
            var path = Path.Combine(folder, name);
            return File.Exists(path) ? path : throw new CliException($"--model: '{folder}' has no {name}; is it a folder written by `attn train g2p`?");
        }
        var recipe = G2pRecipe.FromJsonFile(Need(RecipeFile), G2pRecipe.SavedBase);
        try
        {
            if (!Directory.Exists(Path.Combine(folder, SourceTokenizerFolder)))
            {
                Need(GraphemesFile);   // an older folder: name the missing file
                Need(PhonemesFile);
            }
            var (graphemes, phonemes) = LoadVocabularies(folder);
            var model = new G2pModel(recipe, graphemes, phonemes);
            model.Network.LoadSafetensors(Need(WeightsFile));
            model.Network.Eval();
            return model;
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or StateDictException or IOException)
        {
            throw new CliException($"--model '{folder}': {e.Message}", e);
        }
    }

    /// <summary>The letter and phoneme vocabularies of a folder, in the tokenizer layout or the older text files.</summary>
    public static (Vocabulary Graphemes, Vocabulary Phonemes) LoadVocabularies(string folder) =>
        Directory.Exists(Path.Combine(folder, SourceTokenizerFolder))
            ? (Vocabulary.LoadTokenizer(Path.Combine(folder, SourceTokenizerFolder)), Vocabulary.LoadTokenizer(Path.Combine(folder, TargetTokenizerFolder)))
            : (Vocabulary.Load(Path.Combine(folder, GraphemesFile)), Vocabulary.Load(Path.Combine(folder, PhonemesFile)));

    static void WriteAtomically(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
