using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

public class VocabularyTests
{
    [Fact]
    public void Specials_come_first_then_tokens_in_ordinal_order()
    {
        var v = Vocabulary.Build([["K", "AE", "T"], ["AE", "B"]]);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "AE", "B", "K", "T"], v.Tokens);
        Assert.Equal((0, 1, 2, 3), (Vocabulary.PadId, Vocabulary.BosId, Vocabulary.EosId, Vocabulary.UnkId));
        Assert.Equal([1, 6, 4, 7, 2], v.Encode(["K", "AE", "T"], addBos: true, addEos: true));
        Assert.Equal(Vocabulary.UnkId, v.IdOf("ZZ"));
        Assert.Equal(["K", "AE", "<unk>"], v.Decode([1, 6, 4, 3, 2, 7, 7]));
    }

    [Fact]
    public void Characters_and_min_count()
    {
        var v = Vocabulary.BuildCharacters(["ABBA", "CAB"], minCount: 2);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "A", "B"], v.Tokens);
        Assert.Equal([4, 5, 3], v.Encode(Vocabulary.Characters("ABC")));
    }

    [Fact]
    public void Save_and_load_round_trip_and_bad_files_are_named()
    {
        var dir = Directory.CreateTempSubdirectory().FullName;
        var path = Path.Combine(dir, "v.txt");
        var v = Vocabulary.Build([["É", "'", "."]]);
        v.Save(path);
        Assert.Equal(v.Tokens, Vocabulary.Load(path).Tokens);
        File.WriteAllText(path, "<pad>\n<bos>\n<eos>\n<unk>\nA\nA\n");
        Assert.Contains("line 6: token 'A' appears twice", Assert.Throws<FormatException>(() => Vocabulary.Load(path)).Message);
        File.WriteAllText(path, "<pad>\n<eos>\n");
        Assert.Contains("line 2 must be the special token <bos>", Assert.Throws<FormatException>(() => Vocabulary.Load(path)).Message);
        Assert.Throws<FileNotFoundException>(() => Vocabulary.Load(Path.Combine(dir, "missing.txt")));
        Assert.Throws<ArgumentOutOfRangeException>(() => v[v.Count]);
    }
}
