using SharpAttention.Models;
using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Tests.Tasks.Tagging;

// A tiny synthetic task whose answer is the word's shape: Capitalised → cap, all digits → num, lower case → low.
public class SequenceTaggerTests
{
    static string Word(Random r, string tag)
    {
        int n = r.Next(2, 8);
        var letters = new string([.. Enumerable.Range(0, n).Select(_ => (char)('a' + r.Next(26)))]);
        return tag switch
        {
            "num" => r.Next(1, 100000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "cap" => char.ToUpperInvariant(letters[0]) + letters[1..],
            _ => letters,
        };
    }

    // Sentences drawn from a closed vocabulary of 60 words per tag, or (fresh) of new random words.
    static List<TaggedSequence> Sentences(int count, int seed, bool fresh)
    {
        var r = new Random(seed);
        var vocab = new Random(1);
        string[] tags = ["low", "cap", "num"];
        var closed = tags.ToDictionary(t => t, t => Enumerable.Range(0, 60).Select(_ => Word(vocab, t)).ToArray());
        var sentences = new List<TaggedSequence>();
        for (int s = 0; s < count; s++)
        {
            var t = Enumerable.Range(0, r.Next(3, 9)).Select(_ => tags[r.Next(3)]).ToArray();
            var w = t.Select(tag => fresh ? Word(r, tag) : closed[tag][r.Next(60)]).ToArray();
            sentences.Add(new TaggedSequence(w, t, "synthetic", s + 1));
        }
        return sentences;
    }

    [Fact]
    public void LearnsShapesAndTagsUnseenWordsByTheirCharacters()
    {
        var dir = Directory.CreateTempSubdirectory("tagger-").FullName;
        try
        {
            var train = Sentences(300, 2, fresh: false);
            var trainingWords = train.SelectMany(s => s.Words).ToHashSet(StringComparer.Ordinal);
            var unseen = Sentences(40, 3, fresh: true);
            var split = new TaggingSplit(train, [], Sentences(40, 4, fresh: false));
            var tagger = SequenceTagger.Train(new SequenceTaggerOptions(split, dir)
            {
                Encoder = v => EncoderConfig.Tiny(v) with { Dropout = 0.0 }, VocabSize = 300, Epochs = 20, BatchSize = 16, LearningRate = 3e-3,
            });
            var seen = tagger.Evaluate(split.Test);
            Assert.True(seen.Accuracy == 1.0, seen.Summary());

            // Reloaded from its folder, the tagger gives the same tags, including on words it never saw.
            var loaded = SequenceTagger.Load(dir);
            var metrics = loaded.Evaluate(unseen, trainingWords);
            Assert.True(metrics.UnseenCount > 200, $"{metrics.UnseenCount} unseen words");
            Assert.Equal(1.0, metrics.UnseenAccuracy);
            Assert.Equal(["cap", "low", "num", "cap"], loaded.Predict(["Zyxw", "qqqj", "90210", "Éclair"]));
            Assert.True(File.Exists(Path.Combine(dir, TaggerFolder.ResultsFile)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void WithAWordVocabularyUnseenWordsAreTaggedByTheirCharacters()
    {
        var dir = Directory.CreateTempSubdirectory("tagger-word-").FullName;
        try
        {
            var train = Sentences(300, 2, fresh: false);
            var trainingWords = train.SelectMany(s => s.Words).ToHashSet(StringComparer.Ordinal);
            var split = new TaggingSplit(train, [], Sentences(40, 4, fresh: false));
            var tagger = SequenceTagger.Train(new SequenceTaggerOptions(split, dir)
            {
                Encoder = v => EncoderConfig.Tiny(v) with { Dropout = 0.0 }, Tokenizer = SharpAttention.Text.TokenizerKind.Word, MinWordFrequency = 1,
                WordDropout = 0.1, Epochs = 20, BatchSize = 16, LearningRate = 3e-3,
            });
            Assert.True(tagger.Evaluate(split.Test).Accuracy == 1.0, tagger.Evaluate(split.Test).Summary());
            // One id per word: the vocabulary holds each lower-cased training word once, plus the special tokens.
            var loaded = SequenceTagger.Load(dir);
            Assert.Equal(trainingWords.Select(w => w.ToLowerInvariant()).Distinct().Count() + 4, ((SharpAttention.Text.WordLevelTokenizer)loaded.Tokenizer).Tokens.Count);
            var metrics = loaded.Evaluate(Sentences(40, 3, fresh: true), trainingWords);
            Assert.True(metrics.UnseenCount > 200, $"{metrics.UnseenCount} unseen words");
            Assert.Equal(1.0, metrics.UnseenAccuracy);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BioTagsComeBackWellFormedAndAlignedWithTheWords()
    {
        var dir = Directory.CreateTempSubdirectory("tagger-bio-").FullName;
        try
        {
            // A room span: a capitalised word (B-ROOM) and then numbers (I-ROOM), "Annex 12 4"; lower-case words are O.
            // The tags follow from each word's shape, so the test is about alignment and decoding, not about context.
            var r = new Random(5);
            var sentences = new List<TaggedSequence>();
            for (int s = 0; s < 200; s++)
            {
                var words = new List<string>();
                var tags = new List<string>();
                while (words.Count < 6)
                {
                    // A name is followed by a lower-case word, so where one ends is never ambiguous.
                    if (r.Next(3) == 0)
                        for (int k = 0, n = r.Next(1, 4); k < n; k++) { words.Add(Word(r, k == 0 ? "cap" : "num")); tags.Add(k == 0 ? "B-ROOM" : "I-ROOM"); }
                    words.Add(Word(r, "low"));
                    tags.Add("O");
                }
                sentences.Add(new TaggedSequence(words, tags, "bio", s + 1));
            }
            var split = new TaggingSplit(sentences[..170], [], sentences[170..]);
            var tagger = SequenceTagger.Train(new SequenceTaggerOptions(split, dir)
            {
                Encoder = v => EncoderConfig.Tiny(v) with { Dropout = 0.0 }, VocabSize = 300, Epochs = 20, BatchSize = 16, LearningRate = 3e-3,
            });
            Assert.Equal(TagScheme.Bio, tagger.Settings.Scheme);
            var metrics = tagger.Evaluate(split.Test);
            Assert.True(metrics.SpanF1() == 1.0, metrics.Summary());
            Assert.Equal(["O", "B-ROOM", "I-ROOM", "O", "B-ROOM", "O"], tagger.Predict(["lower", "Upper", "417", "x", "Hall", "yes"]));
            // Constrained decoding: numbers after O would be I-ROOM by their shape, but I- cannot follow O.
            var orphan = tagger.Predict(["see", "417", "now"]);
            Assert.NotEqual("I-ROOM", orphan[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
