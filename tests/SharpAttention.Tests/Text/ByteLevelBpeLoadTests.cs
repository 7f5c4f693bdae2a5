using System.Text;
using Microsoft.ML.Tokenizers;
using SharpAttention.Tests.Support;
using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

public class ByteLevelBpeLoadTests
{
    const string Eot = "<|endoftext|>";
    static readonly Dictionary<string, int> EotSpecial = new() { [Eot] = 0 };

    /// <summary>Writes vocab.json (the special token at 0, the 256 byte symbols, then <paramref name="extra"/>) and
    /// merges.txt with <paramref name="mergeLines"/> after the version line.</summary>
    static (string Vocab, string Merges) Write(TempDir dir, string[] extra, string[] mergeLines)
    {
        var tokens = new List<string> { Eot };
        tokens.AddRange(BpeReference.ByteSymbols());
        tokens.AddRange(extra);
        var vocab = Path.Combine(dir.Path, "vocab.json");
        File.WriteAllText(vocab, "{" + string.Join(",", tokens.Select((t, i) => $"\"{t.Replace("\\", "\\\\").Replace("\"", "\\\"")}\":{i}")) + "}");
        var merges = Path.Combine(dir.Path, "merges.txt");
        File.WriteAllText(merges, "#version: 0.2\n" + string.Join("\n", mergeLines) + "\n");
        return (vocab, merges);
    }

    [Fact]
    public void Hand_made_files_encode_to_hand_worked_ids()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, ["he", "ll", "hell", "Ġhe"], ["h e", "l l", "he ll", "Ġ he"]);
        var tokenizer = ByteLevelBpe.Load(vocab, merges, EotSpecial);
        // "hello": h e l l o → he l l o → he ll o → hell o. " he": Ġ h e → Ġ he → Ġhe. 'o' is byte 111, the 79th symbol
        // after the special token ('!' = 33 is the first); the merged tokens follow the 256 symbols from id 257.
        Assert.Equal([259, 79, 260, 0, 258], tokenizer.EncodeToIds("hello he<|endoftext|>ll"));
        Assert.Equal("hello he<|endoftext|>ll", tokenizer.Decode([259, 79, 260, 0, 258]));
    }

    [Fact]
    public void Without_declared_specials_the_special_text_is_plain_bytes()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, [], []);
        var ids = ByteLevelBpe.Load(vocab, merges).EncodeToIds(Eot);
        Assert.Equal(Eot.Length, ids.Count);
        Assert.DoesNotContain(0, ids);
    }

    [Fact]
    public void Byte_symbols_match_GPT2s_published_ids()
    {
        // GPT-2's vocabulary gives '!' id 0, the space 'Ġ' 220 and the newline 'Ċ' 198: the same order as ours.
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var symbols = BpeReference.ByteSymbols();
        Assert.Equal([0], gpt2.EncodeToIds("!"));
        Assert.Equal([220], gpt2.EncodeToIds(" "));
        Assert.Equal([198], gpt2.EncodeToIds("\n"));
        Assert.Equal(("!", "Ġ", "Ċ"), (symbols[0], symbols[220], symbols[198]));
    }

    [Fact]
    public void Merge_naming_an_absent_token_names_merges_txt_and_its_line()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, ["he"], ["h e", "he x", "zz q"]);
        File.WriteAllText(merges, "#version: 0.2\nh e\nhe zz\n");
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges));
        Assert.Equal((merges, 3), (e.File, e.Line));
        Assert.Contains("'zz'", e.Message);
        Assert.StartsWith($"{merges}:3: ", e.Message);
    }

    [Fact]
    public void Merge_whose_result_is_absent_is_reported()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, ["he"], ["h e", "he l"]);
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges));
        Assert.Equal((merges, 3), (e.File, e.Line));
        Assert.Contains("makes 'hel'", e.Message);
    }

    [Theory]
    [InlineData("h e x")]
    [InlineData("he")]
    [InlineData("h  e")]
    public void Merge_line_that_is_not_two_tokens_is_reported(string line)
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, ["he"], ["h e", line]);
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges));
        Assert.Equal((merges, 3), (e.File, e.Line));
        Assert.Contains("two tokens separated by one space", e.Message);
    }

    [Fact]
    public void Truncated_vocab_json_names_the_line_where_it_stops()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, [], []);
        File.WriteAllText(vocab, "{\n  \"a\": 0,\n  \"b\": ");
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges));
        Assert.Equal((vocab, 3), (e.File, e.Line));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Theory]
    [InlineData("[\"a\", \"b\"]", 1, "JSON object")]
    [InlineData("{\n\"a\": 0,\n\"b\": \"x\"}", 3, "no valid id")]
    [InlineData("{\n\"a\": 0,\n\"b\": -1}", 3, "no valid id")]
    [InlineData("{\n\"a\": 0,\n\"b\": 0}", 3, "id 0 is given to both 'a' (line 2) and 'b'")]
    [InlineData("{\n\"a\": 0,\n\n\"a\": 1}", 4, "'a' appears twice")]
    [InlineData("{\"a\": 0}\n{}", 2, "not valid JSON")]
    [InlineData("", null, "is empty")]
    public void Bad_vocab_json_is_reported_with_its_line(string json, int? line, string problem)
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, [], []);
        File.WriteAllText(vocab, json);
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges));
        Assert.Equal((vocab, line), (e.File, e.Line));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Declared_special_token_missing_from_the_vocabulary_is_reported()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, [], []);
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges, new Dictionary<string, int> { ["<pad>"] = 300 }));
        Assert.Equal((vocab, (int?)null), (e.File, e.Line));
        Assert.Contains("lacks the special token '<pad>'", e.Message);
    }

    [Fact]
    public void Declared_special_token_with_another_id_is_reported_at_its_line()
    {
        using var dir = new TempDir();
        var (vocab, merges) = Write(dir, [], []);
        File.WriteAllText(vocab, "{\n\"a\": 0,\n\"<|endoftext|>\": 1\n}", Encoding.UTF8);
        var e = Assert.Throws<TokenizerFormatException>(() => ByteLevelBpe.Load(vocab, merges, EotSpecial));
        Assert.Equal((vocab, 3), (e.File, e.Line));
        Assert.Contains("id 1, but it is declared with id 0", e.Message);
    }
}
