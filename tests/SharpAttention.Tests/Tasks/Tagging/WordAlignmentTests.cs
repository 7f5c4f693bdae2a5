using SharpAttention.Models;
using SharpAttention.Tasks.Tagging;
using SharpAttention.Text;

namespace SharpAttention.Tests.Tasks.Tagging;

public class WordAlignmentTests
{
    static readonly SpecialTokens Specials = new() { Pad = "<pad>", Unk = "<unk>", Cls = "<s>", Sep = "</s>" };

    static WordAlignment Alignment()
    {
        // "the" and "jury" are frequent enough to become one token each; the rest falls apart into bytes and pairs.
        var words = Enumerable.Repeat(new[] { "the", "the", "jury", "jury", "jury", "said" }, 30).SelectMany(w => w);
        var tokenizer = new BpeTrainer(new() { VocabSize = 290, MinFrequency = 2, SpecialTokens = Specials.Distinct() }).Train(words).ToTokenizer();
        return new WordAlignment(tokenizer, Specials.Resolve(tokenizer), WordAlignment.Characters(["the", "jury"]));
    }

    [Fact]
    public void WordsOfOneTwoAndManyPiecesRoundTrip()
    {
        var a = Alignment();
        string[] words = ["the", "jury", "thejury", "juryé", "naïve", "日本", "😀!", "the"];
        int[] tags = [0, 1, 2, 3, 4, 5, 6, 7];
        var row = Assert.Single(a.Encode(words, 128));
        var tokenizer = a.Tokenizer;
        var specials = Specials.Resolve(tokenizer);
        Assert.Equal(specials.Cls, row.Ids[0]);
        Assert.Equal(specials.Sep, row.Ids[^1]);
        var ends = row.WordStarts.Skip(1).Append(row.Ids.Length - 1).ToArray();
        var counts = new List<int>();
        for (int w = 0; w < words.Length; w++)
        {
            var piece = row.Ids[row.WordStarts[w]..ends[w]];
            counts.Add(piece.Length);
            Assert.Equal(words[w], tokenizer.Decode(piece));
        }
        Assert.Contains(1, counts);
        Assert.Contains(2, counts);
        Assert.Contains(counts, c => c > 2);
        // The tag sits on each word's first piece; wrapping and later pieces are ignored.
        var labels = row.Labels(tags);
        for (int i = 0; i < row.Ids.Length; i++)
        {
            int w = Array.IndexOf(row.WordStarts, i);
            Assert.Equal(w >= 0 ? tags[w] : -100, labels[i]);
        }
    }

    [Fact]
    public void PiecesPastTheLimitAreDropped()
    {
        var a = Alignment();
        // 語 is the third of three 3-byte characters: the 9 byte pieces are cut to 8 and the word keeps its first piece.
        var pieces = a.Pieces("日本語");
        Assert.Equal(8, pieces.Length);
        Assert.Equal("日本", a.Tokenizer.Decode(pieces[..6]));
    }

    [Fact]
    public void LongSentencesAreCutBetweenWords()
    {
        var a = Alignment();
        var words = Enumerable.Range(0, 40).Select(i => i % 3 == 0 ? "日本語" : "jury").ToArray();
        var rows = a.Encode(words, 12);
        Assert.True(rows.Count > 1);
        Assert.All(rows, r => Assert.True(r.Ids.Length <= 12));
        // Rows follow one another: each starts where the previous ended, and together they hold every word once.
        int next = 0;
        foreach (var r in rows)
        {
            Assert.Equal(next, r.FirstWord);
            next += r.WordCount;
        }
        Assert.Equal(words.Length, next);
        var pieces = rows.SelectMany(r => r.WordStarts.Select((s, w) => r.Ids[s..(w + 1 < r.WordCount ? r.WordStarts[w + 1] : r.Ids.Length - 1)]));
        Assert.Equal(words.Select(w => a.Pieces(w)), pieces);
    }

    [Fact]
    public void CharactersAreMarkedAndLongWordsKeepBothEnds()
    {
        var a = Alignment();   // characters: e h j r t u y → ids 4 … 10 (t = 8, h = 5, e = 4)
        Assert.Equal([CharWordEncoder.BowId, 8, 5, 4, CharWordEncoder.EowId], a.Chars("the"));
        Assert.Equal([CharWordEncoder.BowId, 8, CharWordEncoder.UnkId, CharWordEncoder.EowId], a.Chars("tQ"));
        var longWord = "abcdefghijklmnopqrstuvwxyz";   // 26 letters → first 10 and last 10
        var kept = a.Chars(longWord);
        Assert.Equal(22, kept.Length);
        Assert.Equal(a.Chars("abcdefghijqrstuvwxyz"), kept);
    }
}
