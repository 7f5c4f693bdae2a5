using CsCheck;
using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>Word- and character-level tokenizers against hand-worked encodings (ids, tokens, offsets), random strings
/// (decode(encode(x)) == x whenever the vocabulary covers x), and their trainers' vocabulary choice.</summary>
public class LookupTokenizerTests
{
    // ids:                      0        1        2        3        4      5      6     7     8
    static readonly string[] Words = ["<pad>", "<bos>", "<eos>", "<unk>", "the", "cat", "sat", ".", "!!"];

    static WordLevelTokenizer Word(bool lowerCase = false) =>
        new(Words, "<unk>", ["<pad>", "<bos>", "<eos>"], WordLevelTokenizer.DefaultPattern, lowerCase);

    [Fact]
    public void Word_level_encodes_to_hand_worked_ids_tokens_and_offsets()
    {
        var tokenizer = Word();
        //           0123456789012345678
        var text = "the cat  sat on. !!";
        var tokens = tokenizer.EncodeToTokens(text, out _);
        Assert.Equal([4, 5, 6, 3, 7, 8], tokens.Select(t => t.Id));
        Assert.Equal(["the", "cat", "sat", "<unk>", ".", "!!"], tokens.Select(t => t.Value));
        Assert.Equal([(0, 3), (4, 7), (9, 12), (13, 15), (15, 16), (17, 19)], tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)));
        Assert.Equal([4, 5, 6, 3, 7, 8], tokenizer.EncodeToIds(text));
        Assert.Equal(6, tokenizer.CountTokens(text));
        // ".!!" is one run of non-word characters under HF's Whitespace pattern, and not in the vocabulary.
        Assert.Equal([4, 3], tokenizer.EncodeToIds("the .!!"));
        Assert.Equal("the cat sat <unk> . !!", tokenizer.Decode([4, 5, 6, 3, 7, 8]));
    }

    [Fact]
    public void Word_level_matches_special_tokens_whole_and_lower_cases_when_asked()
    {
        var tokenizer = Word(lowerCase: true);
        var tokens = tokenizer.EncodeToTokens("<bos>The CAT<eos>", out _);
        Assert.Equal([1, 4, 5, 2], tokens.Select(t => t.Id));
        Assert.Equal([(0, 5), (5, 8), (9, 12), (12, 17)], tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)));
        Assert.Equal([3, 5], Word().EncodeToIds("The cat"));   // case kept: "The" is unknown
        Assert.Equal("the cat", tokenizer.Decode([1, 4, 5, 2, 0], skipSpecialTokens: true));
    }

    [Fact]
    public void Max_token_count_and_index_by_token_count_cut_at_token_boundaries()
    {
        var tokenizer = Word();
        var ids = tokenizer.EncodeToIds("the cat sat .", maxTokenCount: 2, out _, out int consumed);
        Assert.Equal([4, 5], ids);
        Assert.Equal(7, consumed);
        Assert.Equal(7, tokenizer.GetIndexByTokenCount("the cat sat .", 2, out _, out int count));
        Assert.Equal(2, count);
        Assert.Equal(8, tokenizer.GetIndexByTokenCountFromEnd("the cat sat .", 2, out _, out count));
        Assert.Equal(2, count);
    }

    [Fact]
    public void Decode_into_a_span_reports_a_short_destination()
    {
        var tokenizer = Word();
        var buffer = new char[7];
        Assert.Equal(System.Buffers.OperationStatus.DestinationTooSmall, tokenizer.Decode([4, 5, 6], buffer, out int used, out int written));
        Assert.Equal((2, 7), (used, written));
        Assert.Equal("the cat", new string(buffer, 0, written));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([42]));
    }

    [Fact]
    public void Char_level_takes_text_elements_with_offsets()
    {
        // "é" as e + combining acute, a family emoji (ZWJ sequence of surrogate pairs) and a CJK character.
        string e = "e\u0301", family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
        var tokenizer = new CharLevelTokenizer(["<pad>", "<unk>", "a", e, family, "中"], "<unk>", ["<pad>"]);
        var text = "a" + e + family + "中" + "z";
        var tokens = tokenizer.EncodeToTokens(text, out _);
        Assert.Equal([2, 3, 4, 5, 1], tokens.Select(t => t.Id));
        Assert.Equal([(0, 1), (1, 3), (3, 3 + family.Length), (3 + family.Length, 4 + family.Length), (4 + family.Length, 5 + family.Length)],
            tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)));
        Assert.Equal("a" + e + family + "中<unk>", tokenizer.Decode(tokens.Select(t => t.Id)));
        Assert.Empty(tokenizer.EncodeToIds(""));
    }

    [Fact]
    public void Decode_of_encode_gives_back_any_text_the_vocabulary_covers()
    {
        var alphabet = "abcXYZ ,.!é中" + "\U0001F600";
        var chars = new CharLevelTokenizer([.. new[] { "<unk>" }.Concat(CharLevelTokenizer.Elements(alphabet).Distinct())], "<unk>");
        Gen.String[Gen.Char[alphabet.Replace("\U0001F600", "")], 0, 40].Select(s => s.Replace("!", "\U0001F600")).Sample(text =>
        {
            var ids = chars.EncodeToIds(text);
            Assert.DoesNotContain(0, ids);
            Assert.Equal(text, chars.Decode(ids));
        });
        var vocabulary = new[] { "<unk>", "alpha", "beta", "gamma", "x1", "_y" };
        var words = new WordLevelTokenizer(vocabulary);
        Gen.Int[1, vocabulary.Length - 1].Array[0, 12].Sample(picks =>
        {
            var text = string.Join(' ', picks.Select(i => vocabulary[i]));
            Assert.Equal(picks, words.EncodeToIds(text));
            Assert.Equal(text, words.Decode(words.EncodeToIds(text)));
        });
    }

    [Fact]
    public void Offsets_always_cover_the_characters_each_token_came_from()
    {
        var words = Word();
        Gen.String[Gen.Char["thecasAT .!x"], 0, 30].Sample(text =>
        {
            foreach (var token in words.EncodeToTokens(text, out _))
            {
                var surface = text[token.Offset];
                Assert.True(token.Id == 3 || surface == token.Value, $"'{surface}' encoded as '{token.Value}'");
                Assert.DoesNotContain(' ', surface);
            }
        });
    }

    [Fact]
    public void Word_trainer_keeps_specials_first_then_words_by_count_then_ordinal()
    {
        string[] corpus = ["b a c a", "c a d", "b e", "a"];
        // counts: a 4, b 2, c 2, d 1, e 1
        var all = WordLevelTrainer.Train(corpus);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d", "e"], all.Tokens);
        var frequent = WordLevelTrainer.Train(corpus, new WordLevelTrainerOptions { MinFrequency = 2 });
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c"], frequent.Tokens);
        var small = WordLevelTrainer.Train(corpus, new WordLevelTrainerOptions { VocabSize = 6 });
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"], small.Tokens);
        Assert.Equal([4, 5, 3], small.EncodeToIds("a b c"));
    }

    [Fact]
    public void Trainers_give_the_same_vocabulary_on_one_thread_and_on_all()
    {
        var random = new Random(3);
        var lines = Enumerable.Range(0, 5000).Select(_ => string.Join(' ', Enumerable.Range(0, 8).Select(_ => "w" + random.Next(300)))).ToArray();
        int before = SharpAttention.Threads.Count;
        try
        {
            SharpAttention.Threads.SetNumThreads(1);
            var one = WordLevelTrainer.Train(lines).Tokens;
            var oneChars = CharLevelTrainer.Train(lines).Tokens;
            SharpAttention.Threads.SetNumThreads(Environment.ProcessorCount);
            Assert.Equal(one, WordLevelTrainer.Train(lines).Tokens);
            Assert.Equal(oneChars, CharLevelTrainer.Train(lines).Tokens);
        }
        finally
        {
            SharpAttention.Threads.SetNumThreads(before);
        }
    }

    [Fact]
    public void Char_trainer_counts_elements_and_reports_progress()
    {
        var reports = new List<TokenizerTrainingProgress>();
        var tokenizer = CharLevelTrainer.Train(["aab", "ba", "c"], new CharLevelTrainerOptions { SpecialTokens = new SpecialTokens { Unk = "<unk>" } },
            new SyncProgress(reports));
        Assert.Equal(["<unk>", "a", "b", "c"], tokenizer.Tokens);
        Assert.Equal(new TokenizerTrainingProgress("counting", 3, 3), reports[^1]);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order and at once.</summary>
    internal sealed class SyncProgress(List<TokenizerTrainingProgress> into) : IProgress<TokenizerTrainingProgress>
    {
        public void Report(TokenizerTrainingProgress value)
        {
            lock (into) into.Add(value);
        }
    }

    [Fact]
    public void A_vocabulary_without_its_unknown_token_is_refused()
    {
        Assert.Contains("'<unk>'", Assert.Throws<ArgumentException>(() => new WordLevelTokenizer(["a", "b"])).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new CharLevelTokenizer(["<unk>", "a", "a"])).Message);
    }

    [Fact]
    public void Special_token_ids_are_looked_up_by_role()
    {
        var ids = SpecialTokens.Sequence.Resolve(Word());
        Assert.Equal(new SpecialTokenIds(Unk: 3, Pad: 0, Bos: 1, Eos: 2, Cls: null, Sep: null, Mask: null), ids);
        Assert.Contains("cls_token", Assert.Throws<ArgumentException>(() => (SpecialTokens.Sequence with { Cls = "[CLS]" }).Resolve(Word())).Message);
    }
}
