using System.Text.Json;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>
/// Our trainer against Hugging Face <c>tokenizers</c> 0.23.2 itself: tests/conformance/hf_bpe.js trained HF's
/// BpeTrainer (min frequency 0, no specials, the alphabet of the bytes seen) with GPT-2's ByteLevel pre-tokenizer on
/// fixtures/tokenizers/corpus.txt and recorded every merge and the tokens of a few encoded sentences. HF gives ids
/// only to the bytes it saw, in code-point order, while we give all 256; the relative order of ids, which decides
/// ties, is the same, so the merges must be too.
/// </summary>
public class BpeTrainerConformanceTests
{
    static readonly string Dir = Path.Combine(AppContext.BaseDirectory, "fixtures", "tokenizers");

    [Fact]
    public void Merges_and_encodings_equal_Hugging_Face_tokenizers()
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "hf_bpe.json")));
        var merges = fixture.RootElement.GetProperty("merges").EnumerateArray()
            .Select(m => (m[0].GetString()!, m[1].GetString()!)).ToList();
        Assert.Equal(800, merges.Count);

        // As many merges as HF learned: it stopped when no pair was left.
        var model = new BpeTrainer(new() { VocabSize = 256 + merges.Count + 1, MinFrequency = 1, SpecialTokens = [] })
            .TrainFromFiles(Path.Combine(Dir, "corpus.txt"));
        Assert.Equal(merges, model.Merges);

        var tokenizer = model.ToTokenizer();
        var idOf = model.Vocabulary.Select((t, id) => (t, id)).ToDictionary(e => e.t, e => e.id);
        foreach (var sample in fixture.RootElement.GetProperty("samples").EnumerateArray())
        {
            var expected = sample.GetProperty("tokens").EnumerateArray().Select(t => idOf[t.GetString()!]);
            Assert.Equal(expected, tokenizer.EncodeToIds(sample.GetProperty("text").GetString()!));
        }
    }
}
