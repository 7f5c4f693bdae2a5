using Microsoft.ML.Tokenizers;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>A folder carries its tokenizer: Save → Load gives the same ids for every kind, Hugging Face's key names
/// are written, and a broken folder is an error naming its file and line.</summary>
public class TokenizerFolderTests
{
    static readonly string[] Sentences =
    [
        "The cat sat on the mat.", "Hugging, tarequion de!", "", "unknown words: zebra, qux", "<bos>the<eos>",
        "Ünïcödé and 中文 and \U0001F600", "  spaces   everywhere  ",
    ];

    static string NewDir() => Directory.CreateTempSubdirectory("tok").FullName;

    static void AssertSameIds(Tokenizer expected, Tokenizer actual)
    {
        foreach (var sentence in Sentences)
            Assert.Equal(expected.EncodeToIds(sentence), actual.EncodeToIds(sentence));
    }

    [Fact]
    public void Word_level_round_trips_with_its_pattern_case_and_specials()
    {
        var corpus = WordPieceTrainerTests.Corpus(300, 1).Append("The cat sat on the mat");
        var tokenizer = WordLevelTrainer.Train(corpus, new WordLevelTrainerOptions { LowerCase = true, Pattern = @"\w+|[^\w\s]" });
        var dir = NewDir();
        Tokenizers.Save(tokenizer, dir, new TokenizerConfig { Kind = TokenizerKind.Word, SpecialTokens = SpecialTokens.Sequence, ModelMaxLength = 128 });
        var loaded = Assert.IsType<WordLevelTokenizer>(Tokenizers.Load(dir, out var config));
        Assert.Equal(tokenizer.Tokens, loaded.Tokens);
        Assert.Equal((true, @"\w+|[^\w\s]", 128), (loaded.LowerCase, loaded.Pattern, config.ModelMaxLength));
        Assert.Equal(SpecialTokens.Sequence, config.SpecialTokens);
        AssertSameIds(tokenizer, loaded);
        var json = File.ReadAllText(Path.Combine(dir, Tokenizers.ConfigFile));
        foreach (var key in new[] { "\"kind\": \"word\"", "\"unk_token\": \"<unk>\"", "\"pad_token\": \"<pad>\"", "\"do_lower_case\": true", "\"model_max_length\": 128" })
            Assert.Contains(key, json);
        Assert.StartsWith("{\n  \"<pad>\": 0,\n  \"<bos>\": 1,", File.ReadAllText(Path.Combine(dir, Tokenizers.VocabJson)).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Char_level_round_trips()
    {
        var tokenizer = CharLevelTrainer.Train(Sentences.Take(4));
        var dir = NewDir();
        Tokenizers.Save(tokenizer, dir, new TokenizerConfig { Kind = TokenizerKind.Char, SpecialTokens = SpecialTokens.Sequence });
        var loaded = Assert.IsType<CharLevelTokenizer>(Tokenizers.Load(dir));
        Assert.Equal(tokenizer.Tokens, loaded.Tokens);
        AssertSameIds(tokenizer, loaded);
    }

    [Fact]
    public void WordPiece_round_trips_through_vocab_txt()
    {
        var options = new WordPieceTrainerOptions { VocabSize = 120 };
        var tokenizer = WordPieceTrainer.CreateTokenizer(WordPieceTrainer.Train(WordPieceTrainerTests.Corpus(300, 2), options), options);
        var dir = NewDir();
        Tokenizers.Save(tokenizer, dir, new TokenizerConfig { Kind = TokenizerKind.WordPiece, SpecialTokens = SpecialTokens.Bert, DoLowerCase = true });
        var loaded = Tokenizers.Load(dir);
        AssertSameIds(tokenizer, loaded);
        Assert.Equal(new SpecialTokenIds(Unk: 1, Pad: 0, Bos: null, Eos: null, Cls: 2, Sep: 3, Mask: 4), SpecialTokens.Bert.Resolve(loaded));
        // Saving what was loaded writes the same files again.
        var again = NewDir();
        Tokenizers.Save(loaded, again, Tokenizers.LoadConfig(dir));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, Tokenizers.VocabTxt)), File.ReadAllBytes(Path.Combine(again, Tokenizers.VocabTxt)));
    }

    /// <summary>A hand-made byte-level BPE: the letters of "hello world", Ġ (GPT-2's space), five merges and a special token.</summary>
    static string WriteBpe()
    {
        var dir = NewDir();
        string[] tokens = ["<|endoftext|>", "d", "e", "h", "l", "o", "r", "w", "Ġ", "he", "ll", "hell", "hello", "Ġw", "Ġwo"];
        File.WriteAllText(Path.Combine(dir, "vocab.json"), "{" + string.Join(",", tokens.Select((t, i) => $"\"{t}\":{i}")) + "}");
        File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ w\nĠw o\n");
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile),
            new TokenizerConfig { Kind = TokenizerKind.Bpe, SpecialTokens = SpecialTokens.Gpt2 }.ToJson());
        return dir;
    }

    [Fact]
    public void Bpe_loads_through_ByteLevelBpe_and_round_trips()
    {
        var dir = WriteBpe();
        var tokenizer = Tokenizers.Load(dir);
        // hello → one token; " world" → Ġwo r l d.
        Assert.Equal([12, 14, 6, 4, 1, 0], tokenizer.EncodeToIds("hello world<|endoftext|>"));
        var again = NewDir();
        Tokenizers.Save(tokenizer, again, Tokenizers.LoadConfig(dir));
        AssertSameIds(tokenizer, Tokenizers.Load(again));
        Assert.Equal(0, SpecialTokens.Gpt2.Resolve(tokenizer).Eos);
    }

    [Fact]
    public void A_config_naming_gpt2_loads_Microsofts_packaged_tokenizer()
    {
        var dir = NewDir();
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile), "{\"kind\": \"bpe\", \"tiktoken_model\": \"gpt2\", \"eos_token\": \"<|endoftext|>\"}");
        var gpt2 = Tokenizers.Load(dir);
        Assert.Equal([15496, 995], gpt2.EncodeToIds("Hello world"));   // GPT-2's published ids
        Assert.Equal(50256, SpecialTokens.Gpt2.Resolve(gpt2).Eos);
        var copy = NewDir();
        Tokenizers.Save(gpt2, copy, Tokenizers.LoadConfig(dir));
        Assert.Equal([15496, 995], Tokenizers.Load(copy).EncodeToIds("Hello world"));
    }

    static TokenizerFormatException LoadFails(string dir) => Assert.Throws<TokenizerFormatException>(() => Tokenizers.Load(dir));

    static string WordFolder()
    {
        var dir = NewDir();
        Tokenizers.Save(new WordLevelTokenizer(["<pad>", "<unk>", "a"], "<unk>", ["<pad>"]), dir,
            new TokenizerConfig { Kind = TokenizerKind.Word, SpecialTokens = new SpecialTokens { Pad = "<pad>", Unk = "<unk>" } });
        return dir;
    }

    [Fact]
    public void Truncated_json_is_named_with_file_and_line()
    {
        var dir = WordFolder();
        var config = Path.Combine(dir, Tokenizers.ConfigFile);
        File.WriteAllText(config, "{\n  \"kind\": \"word\",\n  \"unk_token\": \"<un");
        var e = LoadFails(dir);
        Assert.Equal((config, 3), (e.File, e.Line));
        var vocab = Path.Combine(dir, Tokenizers.VocabJson);
        File.WriteAllText(config, "{\"kind\": \"word\", \"unk_token\": \"<unk>\"}");
        File.WriteAllText(vocab, "{\n\"<pad>\": 0,\n\"<unk>\": 1,\n\"a\": ");
        e = LoadFails(dir);
        Assert.Equal(vocab, e.File);
        Assert.Equal(4, e.Line);
        Assert.StartsWith($"{vocab}:4: ", e.Message);
    }

    [Fact]
    public void A_config_with_a_byte_order_mark_loads()
    {
        var dir = WordFolder();
        File.WriteAllText(Path.Combine(dir, Tokenizers.ConfigFile), "{\"kind\": \"word\", \"unk_token\": \"<unk>\"}", System.Text.Encoding.UTF8);
        Assert.Equal(0xEF, File.ReadAllBytes(Path.Combine(dir, Tokenizers.ConfigFile))[0]);
        Assert.Equal([2, 1], Tokenizers.Load(dir).EncodeToIds("a b"));
    }

    [Fact]
    public void A_declared_special_token_missing_from_the_vocabulary_names_its_config_line()
    {
        var dir = WordFolder();
        var config = Path.Combine(dir, Tokenizers.ConfigFile);
        File.WriteAllText(config, "{\n  \"kind\": \"word\",\n  \"unk_token\": \"<unk>\",\n  \"eos_token\": \"</s>\"\n}");
        var e = LoadFails(dir);
        Assert.Equal((config, 4), (e.File, e.Line));
        Assert.Contains("eos_token '</s>'", e.Message);
        File.WriteAllText(config, "{\n  \"kind\": \"word\",\n  \"unk_token\": \"[UNK]\"\n}");
        Assert.Equal(3, LoadFails(dir).Line);
    }

    [Fact]
    public void An_unknown_kind_and_bad_values_are_named()
    {
        var dir = WordFolder();
        var config = Path.Combine(dir, Tokenizers.ConfigFile);
        File.WriteAllText(config, "{\n  \"unk_token\": \"<unk>\",\n  \"kind\": \"sentencepiece\"\n}");
        var e = LoadFails(dir);
        Assert.Equal(3, e.Line);
        Assert.Contains("unknown tokenizer kind 'sentencepiece'", e.Message);
        File.WriteAllText(config, "{\"unk_token\": \"<unk>\"}");
        Assert.Contains("names no tokenizer", LoadFails(dir).Message);
        File.WriteAllText(config, "{\"kind\": \"word\",\n\"unk_token\": \"<unk>\",\n\"do_lower_case\": \"yes\"}");
        Assert.Equal(3, LoadFails(dir).Line);
        File.WriteAllText(config, "{\"kind\": \"word\",\n\"unk_token\": \"<unk>\",\n\"pattern\": \"(\"}");
        Assert.Equal(3, LoadFails(dir).Line);
        File.Delete(config);
        Assert.Equal(config, LoadFails(dir).File);
    }

    [Fact]
    public void Bad_vocabulary_files_name_their_line()
    {
        var dir = WordFolder();
        var vocab = Path.Combine(dir, Tokenizers.VocabJson);
        File.WriteAllText(vocab, "{\n\"<pad>\": 0,\n\"<unk>\": 1,\n\"a\": 1\n}");
        Assert.Equal((vocab, 4), (LoadFails(dir).File, LoadFails(dir).Line));
        File.WriteAllText(vocab, "{\n\"<pad>\": 0,\n\"<unk>\": 1,\n\"a\": 7\n}");
        Assert.Contains("outside 0..2", LoadFails(dir).Message);

        var wordPiece = NewDir();
        File.WriteAllText(Path.Combine(wordPiece, Tokenizers.ConfigFile), new TokenizerConfig { Kind = TokenizerKind.WordPiece, SpecialTokens = SpecialTokens.Bert }.ToJson());
        var txt = Path.Combine(wordPiece, Tokenizers.VocabTxt);
        File.WriteAllText(txt, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##b\na\n");
        var e = LoadFails(wordPiece);
        Assert.Equal((txt, 8), (e.File, e.Line));
        File.WriteAllText(txt, "[PAD]\n[UNK]\n[CLS]\n[SEP]\na\n");
        Assert.Contains("mask_token '[MASK]'", LoadFails(wordPiece).Message);

        var bpe = WriteBpe();
        File.AppendAllText(Path.Combine(bpe, "merges.txt"), "o x\n");
        e = LoadFails(bpe);
        Assert.Equal((Path.Combine(bpe, "merges.txt"), 8), (e.File, e.Line));
    }

    [Fact]
    public void Saving_checks_kind_and_special_tokens()
    {
        var word = new WordLevelTokenizer(["<unk>", "a"]);
        Assert.Throws<ArgumentException>(() => Tokenizers.Save(word, NewDir(), new TokenizerConfig { Kind = TokenizerKind.Char }));
        Assert.Contains("pad_token", Assert.Throws<ArgumentException>(() => Tokenizers.Save(word, NewDir(),
            new TokenizerConfig { Kind = TokenizerKind.Word, SpecialTokens = new SpecialTokens { Unk = "<unk>", Pad = "<pad>" } })).Message);
    }
}
