using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.G2p;
using SharpAttention.Text;

namespace SharpAttention.Tests.Tasks.G2p;

/// <summary>A G2P model folder carries its vocabularies as tokenizer folders (letters char level, phonemes word level)
/// with the ids the weights were trained with, and folders in the older graphemes.txt / phonemes.txt layout still load.</summary>
public class G2pModelFolderTests
{
    static readonly PronunciationEntry[] Entries =
    [
        new("CAB", [["K", "AE", "B"]]), new("BAD", [["B", "AE", "D"]]), new("DEAF", [["D", "EH", "F"]]), new("O'HARE", [["OW", "HH", "EH", "R"]]),
    ];

    static (G2pModel Model, string Folder) SavedModel()
    {
        var (graphemes, phonemes) = G2pData.BuildVocabularies(Entries);
        var model = new G2pModel(G2pRecipe.Tiny, graphemes, phonemes);
        var folder = Directory.CreateTempSubdirectory("g2p-folder").FullName;
        model.Save(folder);
        return (model, folder);
    }

    static void AssertSameModel(G2pModel expected, G2pModel actual)
    {
        Assert.Equal(expected.Graphemes.Tokens, actual.Graphemes.Tokens);
        Assert.Equal(expected.Phonemes.Tokens, actual.Phonemes.Tokens);
        foreach (var ((name, a), (_, b)) in expected.Network.NamedParameters().Zip(actual.Network.NamedParameters()))
            Assert.True(a.ToArray().SequenceEqual(b.ToArray()), name);
    }

    [Fact]
    public void New_folder_round_trips_and_its_tokenizers_encode_with_the_models_ids()
    {
        var (model, folder) = SavedModel();
        Assert.False(File.Exists(Path.Combine(folder, G2pModel.GraphemesFile)));
        AssertSameModel(model, G2pModel.Load(folder));
        var letters = Tokenizers.Load(Path.Combine(folder, G2pModel.SourceTokenizerFolder));
        Assert.Equal(model.EncodeWord("o'hare")[..^1], letters.EncodeToIds("O'HARE"));
        var sounds = Tokenizers.Load(Path.Combine(folder, G2pModel.TargetTokenizerFolder), out var config);
        Assert.Equal(model.Phonemes.Encode(["OW", "HH", "EH", "R", "ZH"]), sounds.EncodeToIds("OW HH EH R ZH"));
        Assert.Equal((TokenizerKind.Word, "<eos>"), (config.Kind, config.SpecialTokens.Eos));
    }

    [Fact]
    public void Old_folder_with_text_vocabularies_still_loads()
    {
        var (model, folder) = SavedModel();
        Directory.Delete(Path.Combine(folder, G2pModel.SourceTokenizerFolder), recursive: true);
        Directory.Delete(Path.Combine(folder, G2pModel.TargetTokenizerFolder), recursive: true);
        model.Graphemes.Save(Path.Combine(folder, G2pModel.GraphemesFile));
        model.Phonemes.Save(Path.Combine(folder, G2pModel.PhonemesFile));
        AssertSameModel(model, G2pModel.Load(folder));
        File.Delete(Path.Combine(folder, G2pModel.PhonemesFile));
        Assert.Contains("has no phonemes.txt", Assert.Throws<FileNotFoundException>(() => G2pModel.Load(folder)).Message);
    }

    [Fact]
    public void A_broken_tokenizer_folder_is_named()
    {
        var (_, folder) = SavedModel();
        var vocab = Path.Combine(folder, G2pModel.TargetTokenizerFolder, Tokenizers.VocabJson);
        File.WriteAllText(vocab, "{\"<pad>\": 0,");
        var message = Assert.ThrowsAny<FormatException>(() => G2pModel.Load(folder)).Message;
        Assert.Contains(vocab + ":1:", message);
    }
}
