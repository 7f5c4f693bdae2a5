using SharpAttention.Data.Datasets;
using SharpAttention.IO;
using SharpAttention.Models;
using SharpAttention.Tensors;
using SharpAttention.Text;
using SharpAttention.Training;

namespace SharpAttention.Tasks.G2p;

/// <summary>
/// Grapheme-to-phoneme from C#: <see cref="Train"/> turns a pronouncing dictionary into a model folder,
/// <see cref="Load"/> reads one back, <see cref="Predict"/> spells words out as phonemes (greedy or beam search),
/// <see cref="Evaluate"/> scores WER and PER, and <see cref="Attention"/> shows which letters each phoneme came from.
/// The folder: recipe.json (the network's shape and how it was trained, <see cref="G2pRecipe"/>),
/// source_tokenizer/ (letters, char level) and target_tokenizer/ (phonemes, word level) in the Hugging Face tokenizer
/// layout, and model.safetensors (PyTorch state_dict names) of a <see cref="Seq2SeqTransformer"/>. Folders written
/// before the tokenizer layout hold graphemes.txt and phonemes.txt instead (one token per line, same ids) and still
/// load. Words are spelled in upper case, as in cmudict.
/// </summary>
public sealed partial class G2pModel
{
    public const string RecipeFile = "recipe.json", GraphemesFile = "graphemes.txt", PhonemesFile = "phonemes.txt", WeightsFile = "model.safetensors";
    public const string SourceTokenizerFolder = "source_tokenizer", TargetTokenizerFolder = "target_tokenizer";

    public G2pRecipe Recipe { get; }
    public Vocabulary Graphemes { get; }
    public Vocabulary Phonemes { get; }
    public Seq2SeqTransformer Network { get; }

    /// <summary>A new, untrained network of <paramref name="recipe"/>'s shape over the two vocabularies.</summary>
    public G2pModel(G2pRecipe recipe, Vocabulary graphemes, Vocabulary phonemes, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        (Recipe, Graphemes, Phonemes) = (recipe, graphemes, phonemes);
        Network = new Seq2SeqTransformer(recipe.ModelConfig(graphemes.Count, phonemes.Count), generator);
    }

    /// <summary>Source ids of a word: its letters (upper-cased) and &lt;eos&gt;.</summary>
    public int[] EncodeWord(string word) => Graphemes.Encode(Vocabulary.Characters(word.ToUpperInvariant()), addEos: true);

    /// <summary>The n best pronunciations of each word, best first (<see cref="G2pPredictor.Predict(IReadOnlyList{G2pModel}, IReadOnlyList{string}, int, int, int)"/>):
    /// beam search of width <paramref name="beamWidth"/>, 1 being greedy decoding.</summary>
    public IReadOnlyList<Pronunciation>[] Predict(IReadOnlyList<string> words, int beamWidth = 1, int nBest = 1) =>
        G2pPredictor.Predict([this], words, beamWidth, nBest);

    /// <summary>Word and phoneme error rates on <paramref name="entries"/> (../shared/DATA.md's metrics), with the best
    /// prediction of each word.</summary>
    public G2pScore Evaluate(IReadOnlyList<PronunciationEntry> entries, int beamWidth = 1) => G2pEvaluation.Score([this], entries, beamWidth);

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, RecipeFile), Recipe.ToJson());
        Graphemes.SaveTokenizer(Path.Combine(folder, SourceTokenizerFolder), TokenizerKind.Char);
        Phonemes.SaveTokenizer(Path.Combine(folder, TargetTokenizerFolder), TokenizerKind.Word);
        Network.SaveSafetensors(Path.Combine(folder, WeightsFile), new Dictionary<string, string> { ["task"] = "g2p" });
    }

    /// <summary>The folder's trainer state when its run did not finish (see <see cref="TrainerState"/>), else null.</summary>
    public TrainerState? Unfinished { get; private set; }

    /// <summary>Reads a folder written by <see cref="Save"/> or <see cref="Train"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">the folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">a file of the folder is missing; the message names it.</exception>
    /// <exception cref="FormatException">recipe.json, a vocabulary or the weights are malformed (weights that are not
    /// finite included) or do not match each other; other I/O failures pass through.</exception>
    public static G2pModel Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"folder '{folder}' does not exist");
        string Need(string name)
        {
            var path = Path.Combine(folder, name);
            return File.Exists(path) ? path : throw new FileNotFoundException($"'{folder}' has no {name}; is it a folder written by `attn train g2p`?", path);
        }
        var recipe = G2pRecipe.Load(Need(RecipeFile));
        if (!Directory.Exists(Path.Combine(folder, SourceTokenizerFolder)))
        {
            Need(GraphemesFile);   // an older folder: name the missing file
            Need(PhonemesFile);
        }
        var (graphemes, phonemes) = LoadVocabularies(folder);
        var model = new G2pModel(recipe, graphemes, phonemes);
        model.Network.LoadSafetensors(Need(WeightsFile));
        model.Network.Eval();
        model.Unfinished = TrainerState.Load(folder) is { Finished: false } state ? state : null;
        return model;
    }

    /// <summary>The letter and phoneme vocabularies of a folder, in the tokenizer layout or the older text files.</summary>
    public static (Vocabulary Graphemes, Vocabulary Phonemes) LoadVocabularies(string folder) =>
        Directory.Exists(Path.Combine(folder, SourceTokenizerFolder))
            ? (Vocabulary.LoadTokenizer(Path.Combine(folder, SourceTokenizerFolder)), Vocabulary.LoadTokenizer(Path.Combine(folder, TargetTokenizerFolder)))
            : (Vocabulary.Load(Path.Combine(folder, GraphemesFile)), Vocabulary.Load(Path.Combine(folder, PhonemesFile)));
}
