using System.Text;
using CsCheck;
using SharpAttention.Tests.Support;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

public class BpeTrainerTests
{
    const string Eot = "<|endoftext|>";

    static readonly string[] English =
    [
        "The quick brown fox jumps over the lazy dog.",
        "The lazy dog doesn't care; the fox's jumps are quick, and the dog sleeps.",
        "Jumping foxes, jumping dogs: 12 foxes and 345 dogs jumped 6789 times!",
        "  Indented   text\twith tabs\nand new lines\n\n",
        "they're here, we've gone, I'm sure you'll see what he'd said",
    ];

    static readonly string[] Mixed =
    [
        "naïve café crème brûlée — déjà vu", "日本語のテキストと日本語の文", "emoji 😀😀 and 👍🏽 thumbs 😀",
        "combining e\u0301 e\u0301 a\u0308 a\u0308", "lone \uD800 surrogate \uDC00 here \uD800", "aaaaaaaaaaaaaaaaaaaaaaaaa aaaa aa a",
    ];

    static void AssertSameAsReference(string[] texts, int vocabSize, int minFrequency, string[] specials)
    {
        var model = new BpeTrainer(new() { VocabSize = vocabSize, MinFrequency = minFrequency, SpecialTokens = specials }).Train(texts);
        var (vocab, merges) = BpeReference.Train(texts, vocabSize, minFrequency, specials);
        Assert.Equal(merges, model.Merges);
        Assert.Equal(vocab, model.Vocabulary);
    }

    [Theory]
    [InlineData(0, 300, 1)]
    [InlineData(0, 400, 2)]
    [InlineData(1, 350, 1)]
    [InlineData(1, 600, 1)]
    public void Learns_the_same_merges_and_vocabulary_as_the_naive_trainer(int corpus, int vocabSize, int minFrequency) =>
        AssertSameAsReference(corpus == 0 ? English : Mixed, vocabSize, minFrequency, [Eot]);

    [Fact]
    public void Specials_take_the_first_ids_and_the_byte_symbols_follow_in_GPT2_order()
    {
        var model = new BpeTrainer(new() { VocabSize = 270, SpecialTokens = ["<pad>", Eot] }).Train(English);
        Assert.Equal(["<pad>", Eot, .. BpeReference.ByteSymbols()], model.Vocabulary.Take(258));
        Assert.Equal(new Dictionary<string, int> { ["<pad>"] = 0, [Eot] = 1 }, model.SpecialTokens);
        Assert.Equal(270, model.Vocabulary.Count);
    }

    [Fact]
    public void Hand_worked_corpus()
    {
        // Words: "aab" ×1 and " aab" ×3: pairs (a,a) 4, (a,b) 4, (Ġ,a) 3. The tie between (a,a)
        // and (a,b) goes to the smaller right id: 'a' < 'b'. Then (aa,b) 4 beats (Ġ,aa) 3, then Ġ + aab.
        var model = new BpeTrainer(new() { VocabSize = 1000, MinFrequency = 2, SpecialTokens = [] }).Train(["aab aab aab aab"]);
        Assert.Equal([("a", "a"), ("aa", "b"), ("Ġ", "aab")], model.Merges);
        Assert.Equal(["aa", "aab", "Ġaab"], model.Vocabulary.Skip(256));
    }

    [Fact]
    public void Stops_at_the_vocabulary_size_or_when_pairs_are_too_rare()
    {
        var small = new BpeTrainer(new() { VocabSize = 260 }).Train(English);
        Assert.Equal((260, 3), (small.Vocabulary.Count, small.Merges.Count));
        var frequent = new BpeTrainer(new() { VocabSize = 100_000, MinFrequency = 5 }).Train(English);
        Assert.Equal(BpeReference.Train(English, 100_000, 5, [Eot]).Merges, frequent.Merges);
        Assert.NotEmpty(frequent.Merges);
    }

    [Fact]
    public void Random_corpora_match_the_naive_trainer()
    {
        var text = Gen.String[Gen.Char["ab c'é😀\n"], 0, 30];
        Gen.Select(text.Array[1, 8], Gen.Int[257, 330], Gen.Int[1, 3])
            .Sample((texts, vocabSize, minFrequency) => AssertSameAsReference(texts, vocabSize, minFrequency, [Eot]), iter: 200);
    }

    [Fact]
    public void Training_twice_and_on_one_or_two_threads_gives_byte_identical_files()
    {
        using var dir = new TempDir();
        string[] corpus = [.. English, .. Mixed, .. English.Select(s => s.ToUpperInvariant())];
        byte[][] Files(int threads, string name)
        {
            var folder = Path.Combine(dir.Path, name);
            new BpeTrainer(new() { VocabSize = 400, MinFrequency = 1, Threads = threads }).Train(corpus.Concat(corpus)).Save(folder);
            return [File.ReadAllBytes(Path.Combine(folder, "vocab.json")), File.ReadAllBytes(Path.Combine(folder, "merges.txt"))];
        }
        var first = Files(2, "a");
        Assert.Equal(first, Files(2, "b"));
        Assert.Equal(first, Files(1, "c"));
    }

    [Fact]
    public void Files_are_in_Hugging_Face_format()
    {
        using var dir = new TempDir();
        var model = new BpeTrainer(new() { VocabSize = 262, MinFrequency = 1, SpecialTokens = [Eot, "\"q\\"] }).Train(English);
        model.Save(dir.Path);
        var merges = File.ReadAllText(Path.Combine(dir.Path, "merges.txt"));
        Assert.Equal("#version: 0.2\n" + string.Concat(model.Merges.Select(m => $"{m.Item1} {m.Item2}\n")), merges);
        var vocab = File.ReadAllText(Path.Combine(dir.Path, "vocab.json"));
        Assert.StartsWith("{\"<|endoftext|>\":0,\"\\\"q\\\\\":1,\"!\":2,\"\\\"\":3,", vocab);
        Assert.EndsWith($"\"{model.Vocabulary[^1]}\":261}}", vocab);
        Assert.Contains("\"Ā\":190,", vocab);  // byte 0, verbatim UTF-8 rather than \u0100
        Assert.False(File.ReadAllBytes(Path.Combine(dir.Path, "vocab.json")).AsSpan().StartsWith(Encoding.UTF8.Preamble));
    }

    [Fact]
    public void Trains_from_files_and_folders_line_by_line()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub"));
        File.WriteAllText(Path.Combine(dir.Path, "one.txt"), "hello hello\nworld\r\n\nhello world");
        File.WriteAllText(Path.Combine(dir.Path, "sub", "two.txt"), "\uFEFFwide world\n");
        var options = new BpeTrainerOptions { VocabSize = 300, MinFrequency = 1 };
        var fromFolder = new BpeTrainer(options).TrainFromFiles(dir.Path);
        // Hugging Face feeds each line with its line end; a BOM is not text.
        string[] lines = ["hello hello\n", "world\r\n", "\n", "hello world", "wide world\n"];
        Assert.Equal(new BpeTrainer(options).Train(lines).Merges, fromFolder.Merges);
        var missing = Path.Combine(dir.Path, "nope");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => new BpeTrainer(options).TrainFromFiles(missing)).Message);
    }

    [Fact]
    public void A_file_larger_than_one_block_counts_as_its_lines()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 20_000).Select(i => $"line {i % 97} of words {i * 7919 % 1000}\n").ToArray();
        var path = Path.Combine(dir.Path, "big.txt");
        File.WriteAllText(path, string.Concat(lines));
        var options = new BpeTrainerOptions { VocabSize = 400 };
        Assert.Equal(new BpeTrainer(options).Train(lines).Merges, new BpeTrainer(options).TrainFromFiles(path).Merges);
    }

    [Fact]
    public void Reports_words_counted_then_merges_done()
    {
        var reports = new List<BpeTrainerProgress>();
        var progress = new SynchronousProgress(reports);
        var model = new BpeTrainer(new() { VocabSize = 457, MinFrequency = 1, Progress = progress, Threads = 1 }).Train(English);
        int words = English.Sum(t => BpeReference.Pattern.Matches(t).Count);
        Assert.Equal(new BpeTrainerProgress(BpeTrainerStage.CountingWords, words, null), reports.Last(r => r.Stage == BpeTrainerStage.CountingWords));
        Assert.Equal(new BpeTrainerProgress(BpeTrainerStage.Merging, model.Merges.Count, 200), reports[^1]);
        Assert.True(reports.FindIndex(r => r.Stage == BpeTrainerStage.Merging) > reports.FindLastIndex(r => r.Stage == BpeTrainerStage.CountingWords));
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpeTrainer(new() { MinFrequency = 0 }).Train(English));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpeTrainer(new() { Threads = 0 }).Train(English));
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new BpeTrainer(new() { SpecialTokens = ["<s>", "<s>"] }).Train(English)).Message);
    }

    sealed class SynchronousProgress(List<BpeTrainerProgress> reports) : IProgress<BpeTrainerProgress>
    {
        public void Report(BpeTrainerProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
