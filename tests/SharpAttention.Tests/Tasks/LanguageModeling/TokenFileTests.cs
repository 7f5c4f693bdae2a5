using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Tests.Support;

namespace SharpAttention.Tests.Tasks.LanguageModeling;

public class TokenFileTests
{
    [Fact]
    public void Chunks_written_come_back_in_order_through_the_memory_map()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "train.tokens");
        var random = new Random(3);
        var chunks = Enumerable.Range(0, 5).Select(i => Enumerable.Range(0, 1000 + 37 * i).Select(_ => random.Next(int.MinValue, int.MaxValue)).ToArray()).ToArray();
        long written = TokenFile.Write(path, chunks.Select(c => (ReadOnlyMemory<int>)c));
        var all = chunks.SelectMany(c => c).ToArray();
        Assert.Equal(all.Length, written);
        Assert.Equal(16 + 4L * all.Length, new FileInfo(path).Length);
        using var file = TokenFile.Open(path);
        Assert.Equal(all.Length, file.Count);
        Assert.Equal(all, file.ToArray());
        Assert.Equal(all.AsSpan(1234, 99).ToArray(), file.Slice(1234, 99).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => file.Slice(all.Length - 3, 4).ToArray());
    }

    [Fact]
    public void Empty_file_and_bad_files_are_told_apart()
    {
        using var dir = new TempDir();
        var empty = Path.Combine(dir.Path, "empty.tokens");
        TokenFile.Write(empty, []);
        using (var file = TokenFile.Open(empty)) Assert.Equal(0, file.Count);

        var foreign = Path.Combine(dir.Path, "foreign.tokens");
        File.WriteAllBytes(foreign, new byte[40]);
        Assert.Contains("not a token file", Assert.Throws<InvalidDataException>(() => TokenFile.Open(foreign)).Message);

        var torn = Path.Combine(dir.Path, "torn.tokens");
        TokenFile.Write(torn, [new[] { 1, 2, 3 }]);
        using (var stream = File.OpenWrite(torn)) stream.SetLength(stream.Length - 2);
        Assert.Contains("the header says 3 tokens", Assert.Throws<InvalidDataException>(() => TokenFile.Open(torn)).Message);
    }

    [Fact]
    public void Documents_are_encoded_line_by_line_with_end_of_text_after_each()
    {
        using var dir = new TempDir();
        var tokenizer = new SharpAttention.Text.WordLevelTokenizer(["<unk>", "</s>", "a", "b", "c"], "<unk>", ["<unk>", "</s>"]);
        var path = Path.Combine(dir.Path, "t.tokens");
        var (tokens, bytes) = CorpusTokens.Write(path, ["a b\nc", "b z"], tokenizer, endOfText: 1);
        Assert.Equal((7L, 5L + 1 + 3 + 1), (tokens, bytes));   // a b c </s> b <unk> </s>; each document's bytes + 1
        using var file = TokenFile.Open(path);
        Assert.Equal([2, 3, 4, 1, 3, 0, 1], file.ToArray());
    }
}
