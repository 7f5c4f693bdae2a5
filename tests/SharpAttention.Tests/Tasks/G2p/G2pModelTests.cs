using System.Text.Json;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.G2p;
using SharpAttention.Tests.Support;
using SharpAttention.Text;

namespace SharpAttention.Tests.Tasks.G2p;

// The library's G2P API alone (no CLI) on a tiny synthetic dictionary whose pronunciations follow a fixed rule, letter
// by letter: train, save, load, predict (greedy and beam), evaluate, attend.
[Collection(GlobalKernelStateCollection.Name)]   // training reseeds the default generator and trims the storage pool
public class G2pModelTests
{
    // The rule, one letter at a time; X says two phonemes, so a word's pronunciation may be longer than its spelling.
    static readonly Dictionary<char, string[]> Rule = new()
    {
        ['A'] = ["AA"], ['B'] = ["B"], ['C'] = ["K"], ['D'] = ["D"], ['E'] = ["IY"], ['X'] = ["K", "S"],
    };

    static string[] Say(string word) => [.. word.SelectMany(c => Rule[c])];

    /// <summary>Every word of 1 to 3 letters; every 8th (ordinal order) is a test word, every 8th after it a dev word.</summary>
    static PronunciationSplit Dictionary()
    {
        string letters = "ABCDEX";
        var words = new List<string>();
        foreach (var a in letters)
        {
            words.Add($"{a}");
            foreach (var b in letters)
            {
                words.Add($"{a}{b}");
                foreach (var c in letters) words.Add($"{a}{b}{c}");
            }
        }
        var entries = words.Order(StringComparer.Ordinal).Select(w => new PronunciationEntry(w, [Say(w)])).ToArray();
        return new([.. entries.Where((_, i) => i % 8 >= 2)], [.. entries.Where((_, i) => i % 8 == 1)], [.. entries.Where((_, i) => i % 8 == 0)]);
    }

    [Fact]
    public void Learns_a_letter_rule_to_every_unseen_word_and_its_folder_predicts_the_same_after_loading()
    {
        var dir = Directory.CreateTempSubdirectory("g2p-lib-").FullName;
        try
        {
            var data = Dictionary();
            var recipe = G2pRecipe.Tiny with { Epochs = 80, BatchSize = 16, WarmupSteps = 20, LearningRate = 3e-3, BeamWidth = 3, DevWords = 0, Seed = 7 };
            var log = new List<string>();
            var trained = G2pModel.Train(new G2pOptions(data, dir) { Recipe = recipe, Log = log.Add });

            // Test words were never trained on: the rule, applied by hand above, is the oracle.
            Assert.Equal(0.0, trained.TestScore!.WordErrorRate);
            Assert.Equal(0.0, trained.TestScore.PhonemeErrorRate);
            Assert.Equal(data.Test.Count, trained.TestScore.Words);
            using (var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, G2pModel.ResultsFile))))
                Assert.Equal(0.0, results.RootElement.GetProperty("wer").GetDouble());
            Assert.Contains(log, l => l.StartsWith("model: 1+1 layers × 32", StringComparison.Ordinal));

            var loaded = G2pModel.Load(dir);
            Assert.Null(loaded.Unfinished);
            string[] words = [.. data.Test.Select(e => e.Word.ToLowerInvariant())];   // words are read upper-cased
            var greedy = loaded.Predict(words);
            var beam = loaded.Predict(words, beamWidth: 3, nBest: 2);
            var before = trained.Predict(words);   // the same weights, the same batches
            for (int i = 0; i < words.Length; i++)
            {
                Assert.Equal(Say(data.Test[i].Word), greedy[i][0].Phonemes);
                Assert.Equal(Say(data.Test[i].Word), beam[i][0].Phonemes);
                Assert.Equal(2, beam[i].Count);
                Assert.True(beam[i][0].LogProb >= beam[i][1].LogProb);
                Assert.Equal(before[i][0].LogProb, greedy[i][0].LogProb);
            }
            var score = loaded.Evaluate(data.Test, beamWidth: 3);
            Assert.Equal((0.0, 0.0), (score.WordErrorRate, score.PhonemeErrorRate));

            // Attention: one map per decoder layer and head, then their average; rows are the phonemes and <eos>.
            var (phonemes, maps) = loaded.Attention("axe");
            Assert.Equal(["AA", "K", "S", "IY"], phonemes);
            Assert.Equal(recipe.NumDecoderLayers * recipe.NumHeads + 1, maps.Count);
            Assert.Equal([.. phonemes, Vocabulary.Eos], maps[^1].RowLabels);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_saved_recipe_without_newer_keys_reads_as_the_saved_base()
    {
        Assert.Equal(G2pRecipe.SavedBase, new G2pRecipe());
        var path = Path.Combine(Directory.CreateTempSubdirectory("g2p-recipe-").FullName, G2pModel.RecipeFile);
        File.WriteAllText(path, "{\n  \"d_model\": 32,\n  \"num_heads\": 2\n}");
        Assert.Equal(G2pRecipe.SavedBase with { DModel = 32, NumHeads = 2 }, G2pRecipe.Load(path));
        File.WriteAllText(path, "{\n  \"d_model\": 32,\n  \"num_heads\": \"two\"\n}");
        Assert.StartsWith(path + ":3: ", Assert.ThrowsAny<FormatException>(() => G2pRecipe.Load(path)).Message);
    }
}
