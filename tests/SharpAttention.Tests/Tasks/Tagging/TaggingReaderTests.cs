using SharpAttention.Data;
using SharpAttention.Data.Datasets;
using SharpAttention.Tasks.Tagging;

namespace SharpAttention.Tests.Tasks.Tagging;

public class TaggingReaderTests
{
    static IReadOnlyList<TaggedSequence> Conll(string text, int tokenColumn = 0, int tagColumn = -1) =>
        ConllReader.Parse(new StringReader(text), "t.conll", tokenColumn, tagColumn);

    static (string[], string[], int?)[] Rows(IEnumerable<TaggedSequence> s) => [.. s.Select(x => (x.Words.ToArray(), x.Tags.ToArray(), x.Line))];

    [Fact]
    public void TabsAndSpacesBothSeparateColumns()
    {
        var s = Conll("EU\tNNP\tB-ORG\nrejects  VBZ   O\n\nPeter NNP B-PER\n");
        Assert.Equal([(["EU", "rejects"], ["B-ORG", "O"], 1), (["Peter"], ["B-PER"], 4)], Rows(s));
    }

    [Fact]
    public void TabSeparatedColumnsMayHoldSpaces()
    {
        var s = Conll("New York\tB-LOC\n");
        Assert.Equal([(["New York"], ["B-LOC"], 1)], Rows(s));
    }

    [Fact]
    public void ChoosesColumnsAndSkipsDocstartAndTrailingBlankLines()
    {
        var s = Conll("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\n\n", tokenColumn: 0, tagColumn: 1);
        Assert.Equal([(["EU", "rejects"], ["NNP", "VBZ"], 3)], Rows(s));
    }

    [Fact]
    public void DocstartWithoutBlankLineEndsTheSentence()
    {
        var s = Conll("a X\n-DOCSTART- O\nb Y\n");
        Assert.Equal([(["a"], ["X"], 1), (["b"], ["Y"], 3)], Rows(s));
    }

    [Fact]
    public void OneTokenSentenceAndCrlf()
    {
        var s = Conll("Hello\tUH\r\n\r\nBye\tUH\r\n");
        Assert.Equal([(["Hello"], ["UH"], 1), (["Bye"], ["UH"], 3)], Rows(s));
    }

    [Fact]
    public void MissingTagNamesFileAndLine()
    {
        var e = Assert.Throws<DataFormatException>(() => Conll("a X\nb Y\nlonely\n"));
        Assert.Equal(("t.conll", 3), (e.File, e.Line));
        Assert.StartsWith("t.conll:3:", e.Message);
    }

    [Fact]
    public void TagColumnBeyondTheLineIsAnError()
    {
        var e = Assert.Throws<DataFormatException>(() => Conll("a X\n", tagColumn: 3));
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void JsonLinesReadsTokensAndTags()
    {
        var s = TaggedJsonLinesReader.Parse(new StringReader("{\"tokens\": [\"The\", \"jury\"], \"tags\": [\"at\", \"nn\"]}\n\n{\"tokens\": [\"Ja\"], \"tags\": [\"uh\"]}\n"), "t.jsonl");
        Assert.Equal([(["The", "jury"], ["at", "nn"], 1), (["Ja"], ["uh"], 3)], Rows(s));
    }

    [Theory]
    [InlineData("{\"tokens\": [\"a\", \"b\"], \"tags\": [\"X\"]}")]
    [InlineData("{\"tokens\": [\"a\"]}")]
    [InlineData("{\"tokens\": \"a\", \"tags\": [\"X\"]}")]
    [InlineData("{\"tokens\": [1], \"tags\": [\"X\"]}")]
    [InlineData("{\"tokens\": [], \"tags\": []}")]
    [InlineData("[\"a\"]")]
    [InlineData("{not json")]
    public void BadJsonLineNamesFileAndLine(string bad)
    {
        var e = Assert.Throws<DataFormatException>(() =>
            TaggedJsonLinesReader.Parse(new StringReader("{\"tokens\": [\"a\"], \"tags\": [\"X\"]}\n" + bad + "\n"), "t.jsonl"));
        Assert.Equal(("t.jsonl", 2), (e.File, e.Line));
    }

    [Fact]
    public void BrownSplitPutsEveryTenthFileInTest()
    {
        var dir = Directory.CreateTempSubdirectory("brown-").FullName;
        try
        {
            // 12 files ca01 … ca12: indexes 9 (ca10) is the only test file.
            for (int i = 1; i <= 12; i++)
                File.WriteAllText(Path.Combine(dir, $"ca{i:00}"), $"\n\tThe/at file{i}/nn ./.\n\n\tSecond/od ./.\n");
            var split = TaggingData.Brown(BrownCorpus.Open(dir));
            Assert.Equal(22, split.Train.Count);
            Assert.Equal(2, split.Test.Count);
            Assert.Equal(["The", "file10", "."], split.Test[0].Words);
            Assert.Equal(["at", "nn", "."], split.Test[0].Tags);
            Assert.Equal(2, split.Test[0].Line);
            Assert.Empty(split.Valid);

            // With a dev part, index 8 (ca09) moves from train to validation; test is unchanged.
            var dev = TaggingData.Brown(BrownCorpus.Open(dir), dev: true);
            Assert.Equal(20, dev.Train.Count);
            Assert.Equal(["The", "file9", "."], dev.Valid[0].Words);
            Assert.Equal(2, dev.Valid.Count);
            Assert.Equal(split.Test.Select(s => s.Words), dev.Test.Select(s => s.Words));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
