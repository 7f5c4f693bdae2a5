using SharpAttention.Cli;
using SharpAttention.Tests.Text;
using SharpAttention.Text;

namespace SharpAttention.Tests.Cli;

/// <summary>`attn tokenizer train` for every kind writes a folder that loads, `attn tokenizer encode` prints the ids
/// the loaded tokenizer gives with each token's offsets, and bad input is one line naming the flag or file.</summary>
public class TokenizerCommandTests
{
    static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    static string Corpus()
    {
        var dir = Directory.CreateTempSubdirectory("tok-cli").FullName;
        File.WriteAllLines(Path.Combine(dir, "a.txt"), WordPieceTrainerTests.Corpus(300, 1));
        Directory.CreateDirectory(Path.Combine(dir, "more"));
        File.WriteAllLines(Path.Combine(dir, "more", "b.txt"), WordPieceTrainerTests.Corpus(200, 2));
        return dir;
    }

    [Theory]
    [InlineData("bpe", "300")]
    [InlineData("wordpiece", "150")]
    [InlineData("word", null)]
    [InlineData("char", "20")]
    public void Trains_each_kind_and_encodes_with_offsets(string kind, string? vocabSize)
    {
        var data = Corpus();
        var output = Path.Combine(data, "..", Path.GetFileName(data) + "-" + kind);
        string[] args = ["tokenizer", "train", "--kind", kind, "--data", data, "--out", output, "--min-frequency", "2"];
        if (vocabSize != null) args = [.. args, "--vocab-size", vocabSize];
        if (kind != "bpe") args = [.. args, "--lowercase"];
        var train = Run(args);
        Assert.True(train.Code == 0, train.Error + train.Output);
        Assert.Contains("counting", train.Output);
        Assert.Contains($"wrote a {kind} tokenizer", train.Output);
        var loaded = Tokenizers.Load(output, out var config);
        Assert.Equal(TokenizerConfig.ParseKind(kind), config.Kind);

        const string text = "Hugging tarequion, de!";
        var encode = Run("tokenizer", "encode", "--tokenizer", output, text);
        Assert.True(encode.Code == 0, encode.Error);
        var lines = encode.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tokens = loaded.EncodeToTokens(text, out _);
        Assert.Equal("ids: " + string.Join(' ', tokens.Select(t => t.Id)), lines[0]);
        Assert.Equal(tokens.Count + 1, lines.Length);
        Assert.Equal($"{tokens[0].Id}\t{tokens[0].Value}\t{tokens[0].Offset.Start.Value}..{tokens[0].Offset.End.Value}", lines[1]);
    }

    [Fact]
    public void Bad_input_is_one_line_naming_the_flag_or_file()
    {
        var data = Corpus();
        var missing = Run("tokenizer", "train", "--kind", "word", "--data", Path.Combine(data, "nope.txt"), "--out", Path.Combine(data, "o"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("--data", missing.Error);
        Assert.Single(missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // A malformed command line is exit code 2 (the attn error contract), a failed run 1.
        var noSize = Run("tokenizer", "train", "--kind", "wordpiece", "--data", data, "--out", Path.Combine(data, "o"));
        Assert.Equal(2, noSize.Code);
        Assert.Contains("--vocab-size is required", noSize.Error);

        var tooSmall = Run("tokenizer", "train", "--kind", "char", "--vocab-size", "4", "--data", data, "--out", Path.Combine(data, "o"));
        Assert.Equal(2, tooSmall.Code);
        Assert.Contains("--vocab-size must lie in 5..", tooSmall.Error);   // <pad> <bos> <eos> <unk> and one character
        Assert.Contains("--vocab-size must lie in 257..", Run("tokenizer", "train", "--kind", "bpe", "--vocab-size", "100", "--data", data, "--out", Path.Combine(data, "o")).Error);
        Assert.Equal(2, Run("tokenizer", "train", "--kind", "word", "--min-frequency", "0", "--data", data, "--out", Path.Combine(data, "o")).Code);

        var badPattern = Run("tokenizer", "train", "--kind", "word", "--pattern", "(", "--data", data, "--out", Path.Combine(data, "o"));
        Assert.Equal(2, badPattern.Code);
        Assert.Contains("--pattern", badPattern.Error);

        var badKind = Run("tokenizer", "train", "--kind", "sentencepiece", "--data", data, "--out", Path.Combine(data, "o"));
        Assert.Equal(2, badKind.Code);

        var noFolder = Run("tokenizer", "encode", "--tokenizer", Path.Combine(data, "none"), "text");
        Assert.Equal(1, noFolder.Code);
        Assert.Contains("--tokenizer", noFolder.Error);
        Assert.Contains("does not exist", noFolder.Error);
    }
}
