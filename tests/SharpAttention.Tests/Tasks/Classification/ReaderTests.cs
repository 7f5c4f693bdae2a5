using SharpAttention.Data;
using SharpAttention.Tasks.Classification;

namespace SharpAttention.Tests.Tasks.Classification;

public class ReaderTests
{
    static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", "Classification", name);

    static (string, string, int?)[] Rows(IEnumerable<LabeledText> rows) => [.. rows.Select(r => (r.Text, r.Label, r.Line))];

    [Fact]
    public void CsvQuotingKeepsSeparatorsDoubledQuotesAndLineBreaks()
    {
        var rows = ClassificationData.Read(DataFile("quoting.csv"));
        Assert.Equal([
            ("Hello, world", "pos", 2),
            ("She said \"no\" twice", "neg", 3),
            ("first line\nsecond line", "pos", 4),   // a record spanning lines 4–5
            ("plain text", "neg", 6),
        ], Rows(rows));
        Assert.All(rows, r => Assert.Equal(DataFile("quoting.csv"), r.Source));
    }

    [Fact]
    public void CsvWithBomAndCrlf()
    {
        var rows = ClassificationData.Read(DataFile("bom-crlf.csv"));
        // The BOM does not become part of the first column's name, and a quoted CRLF stays in the text.
        Assert.Equal([("good film", "pos", 2), ("bad\r\nfilm", "neg", 3)], Rows(rows));
    }

    [Fact]
    public void TsvByExtensionWithColumnsInAnyOrder()
    {
        var rows = ClassificationData.Read(DataFile("reviews.tsv"));
        Assert.Equal([("loved it, truly", "pos", 2), ("tab\tinside", "neg", 3)], Rows(rows));
    }

    [Fact]
    public void ColumnNamesAreConfigurable()
    {
        var rows = ClassificationData.Read(DataFile("missing-column.csv"), new TextColumns("review", "sentiment"));
        Assert.Equal([("great", "pos", 2)], Rows(rows));
    }

    [Fact]
    public void MissingColumnIsNamedWithTheHeaderLine()
    {
        var e = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("missing-column.csv")));
        Assert.Equal((DataFile("missing-column.csv"), (int?)1), (e.File, e.Line));
        Assert.StartsWith($"{DataFile("missing-column.csv")}:1: no text column 'text'", e.Message);
        Assert.Contains("'review', 'sentiment'", e.Message);
    }

    [Fact]
    public void RaggedRowIsNamedByLine()
    {
        var e = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("ragged.csv")));
        Assert.Equal(4, e.Line);
        Assert.Contains("3 field(s) where the header has 2", e.Message);
    }

    [Fact]
    public void EmptyTextIsNamedByLine()
    {
        var e = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("empty-text.csv")));
        Assert.Equal(3, e.Line);
        Assert.Contains("empty text", e.Message);
    }

    [Fact]
    public void JsonLinesTakeStringNumberAndBooleanLabels()
    {
        var rows = ClassificationData.Read(DataFile("reviews.jsonl"));
        Assert.Equal([("great stuff", "pos", 1), ("awful", "0", 3), ("café au lait", "true", 4)], Rows(rows));
    }

    [Fact]
    public void BadJsonAndMissingFieldAreNamedByLine()
    {
        var bad = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("bad.jsonl")));
        Assert.StartsWith($"{DataFile("bad.jsonl")}:2: not valid JSON", bad.Message);
        var missing = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("no-label.jsonl")));
        Assert.Equal(2, missing.Line);
        Assert.Contains("no field 'label' (fields: 'text', 'class')", missing.Message);
        var notObject = Assert.Throws<DataFormatException>(() => JsonLinesReader.Parse(new StringReader("[1, 2]"), "x.jsonl"));
        Assert.Equal("x.jsonl:1: expected an object {\"text\": ..., \"label\": ...}, got a JSON array", notObject.Message);
    }

    [Fact]
    public void FolderPerClassReadsUtf8AndFallsBackToLatin1PerFile()
    {
        var rows = ClassificationData.Read(DataFile("folders"));
        Assert.Equal([
            ("dull and slow\n", "negative", null),
            ("café crème, bad", "negative", null),   // bytes E9 and E8: not UTF-8, so Latin-1
            ("naïve charm", "positive", null),       // UTF-8 with a BOM; notes.md is not a .txt file
        ], Rows(rows));
        Assert.Equal(Path.Combine(DataFile("folders"), "negative", "2.txt"), rows[1].Source);
    }

    [Fact]
    public void EmptyClassFolderIsNamed()
    {
        var e = Assert.Throws<DataFormatException>(() => ClassificationData.Read(DataFile("empty-class")));
        Assert.Contains("class 'b' is empty", e.Message);
    }

    [Fact]
    public void SingleClassAndLabelOnlyInTestAreNamed()
    {
        LabeledText Row(string label, int line) => new("some text", label, "d.csv", line);
        var single = Assert.Throws<DataFormatException>(() => ClassificationData.Check(new([Row("a", 2), Row("a", 3)], [], [])));
        Assert.Contains("only one class, 'a'", single.Message);
        var unseen = Assert.Throws<DataFormatException>(() =>
            ClassificationData.Check(new([Row("a", 2), Row("b", 3)], [Row("a", 4)], [Row("b", 5), Row("c", 6)])));
        Assert.Equal("d.csv:6: label 'c' of the test data never occurs in the training data (labels: 'a', 'b')", unseen.Message);
        ClassificationData.Check(new([Row("a", 2), Row("b", 3)], [Row("b", 4)], [Row("a", 5)]));
    }

    [Fact]
    public void LabelsAreOrdinalAndCountsFollowThem()
    {
        LabeledText Row(string label) => new("t", label, "d.csv");
        var rows = new[] { Row("spam"), Row("ham"), Row("spam"), Row("Zed") };
        var labels = ClassificationData.Labels(rows);
        Assert.Equal(["Zed", "ham", "spam"], labels);
        Assert.Equal([1, 1, 2], ClassificationData.Counts(rows, labels));
    }
}
