using SharpAttention.Text;

namespace SharpAttention.Tests.Text;

/// <summary>Batches against hand-worked examples: padding to the longest row or to max_length, both masks, each
/// truncation mode, wrapping tokens and offsets.</summary>
public class BatchEncodingTests
{
    // ids: <pad> 0, <bos> 1, <eos> 2, <unk> 3, [CLS] 4, [SEP] 5, then a 6, b 7, c 8, d 9, e 10, f 11, g 12, h 13
    static readonly WordLevelTokenizer Tokenizer = new(
        ["<pad>", "<bos>", "<eos>", "<unk>", "[CLS]", "[SEP]", "a", "b", "c", "d", "e", "f", "g", "h"], "<unk>", ["<pad>", "<bos>", "<eos>", "[CLS]", "[SEP]"]);

    static readonly SpecialTokenIds Ids = (SpecialTokens.Sequence with { Cls = "[CLS]", Sep = "[SEP]" }).Resolve(Tokenizer);

    [Fact]
    public void Pads_to_the_longest_row_with_both_masks_and_offsets()
    {
        var batch = BatchEncoding.Encode(Tokenizer, ["a b c", "d  x"], Ids);
        Assert.Equal([2, 3], batch.InputIds.Shape.ToArray());
        Assert.Equal([6L, 7, 8, 9, 3, 0], batch.InputIds.ToInt64Array());
        Assert.Equal([1L, 1, 1, 1, 1, 0], batch.AttentionMask.ToInt64Array());
        Assert.Equal([false, false, false, false, false, true], batch.KeyPaddingMask.ToBoolArray());
        Assert.Equal([(0, 1), (2, 3), (4, 5)], batch.Offsets[0]);
        Assert.Equal([(0, 1), (3, 4)], batch.Offsets[1]);
        Assert.Equal([3, 2], batch.Lengths);
    }

    [Fact]
    public void Wraps_in_cls_sep_or_bos_eos_and_pads_to_max_length()
    {
        var cls = BatchEncoding.Encode(Tokenizer, ["a b"], Ids, new BatchEncodingOptions { Wrap = SequenceWrap.ClsSep, MaxLength = 6, PadToMaxLength = true });
        Assert.Equal([4L, 6, 7, 5, 0, 0], cls.InputIds.ToInt64Array());
        Assert.Equal([1L, 1, 1, 1, 0, 0], cls.AttentionMask.ToInt64Array());
        Assert.Equal([(0, 0), (0, 1), (2, 3), (0, 0)], cls.Offsets[0]);
        var bos = BatchEncoding.Encode(Tokenizer, ["a", ""], Ids, new BatchEncodingOptions { Wrap = SequenceWrap.BosEos });
        Assert.Equal([1L, 6, 2, 1, 2, 0], bos.InputIds.ToInt64Array());
        Assert.Equal([false, false, false, false, false, true], bos.KeyPaddingMask.ToBoolArray());
    }

    [Theory]
    // 8 tokens a..h (ids 6..13), max_length 6 with [CLS]/[SEP] leaves room for 4.
    [InlineData(Truncation.Head, new long[] { 4, 6, 7, 8, 9, 5 })]
    [InlineData(Truncation.Tail, new long[] { 4, 10, 11, 12, 13, 5 })]
    // Head+tail: a quarter of 4, rounded half up, is 1 from the head, 3 from the tail.
    [InlineData(Truncation.HeadAndTail, new long[] { 4, 6, 11, 12, 13, 5 })]
    public void Truncates_as_asked(Truncation truncation, long[] expected)
    {
        var batch = BatchEncoding.Encode(Tokenizer, ["a b c d e f g h", "a"], Ids,
            new BatchEncodingOptions { MaxLength = 6, Truncation = truncation, Wrap = SequenceWrap.ClsSep });
        Assert.Equal(expected, batch.InputIds.ToInt64Array()[..6]);
        Assert.Equal([4L, 6, 5, 0, 0, 0], batch.InputIds.ToInt64Array()[6..]);
        // The kept tokens' offsets still point at their letters: "a" 0, "f" 10, "h" 14.
        var letters = batch.Offsets[0][1..^1].Select(o => "a b c d e f g h"[o.Start..o.End]);
        Assert.Equal(expected[1..^1].Select(id => Tokenizer.Tokens[(int)id]), letters);
    }

    [Fact]
    public void Head_and_tail_splits_a_room_of_510_as_128_plus_382()
    {
        var tokens = Tokenizer.EncodeToTokens(string.Join(' ', Enumerable.Repeat("a", 1000)), out _);
        var kept = BatchEncoding.Keep(tokens, 510, Truncation.HeadAndTail);
        Assert.Equal(510, kept.Count);
        Assert.Equal(127 * 2, kept[127].Offset.Start.Value);            // the 128th token is the head's last
        Assert.Equal((1000 - 382) * 2, kept[128].Offset.Start.Value);   // then the last 382
    }

    [Fact]
    public void Wraps_a_bert_tokenizer_once()
    {
        // A hand-written vocab.txt: [PAD] 0 [UNK] 1 [CLS] 2 [SEP] 3 [MASK] 4 then the pieces.
        var options = new WordPieceTrainerOptions();
        var bert = WordPieceTrainer.CreateTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "!"], options);
        var batch = BatchEncoding.Encode(bert, ["Unaffable!", "un"], SpecialTokens.Bert.Resolve(bert), new BatchEncodingOptions { Wrap = SequenceWrap.ClsSep });
        Assert.Equal([2L, 5, 6, 7, 8, 3, 2, 5, 3, 0, 0, 0], batch.InputIds.ToInt64Array());
        Assert.Equal([(0, 0), (0, 2), (2, 5), (5, 9), (9, 10), (0, 0)], batch.Offsets[0]);
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        Assert.Contains("no room", Assert.Throws<ArgumentOutOfRangeException>(() =>
            BatchEncoding.Encode(Tokenizer, ["a"], Ids, new BatchEncodingOptions { MaxLength = 1, Wrap = SequenceWrap.ClsSep })).Message);
        Assert.Contains("pad_token", Assert.Throws<ArgumentException>(() => BatchEncoding.Encode(Tokenizer, ["a"], Ids with { Pad = null })).Message);
        Assert.Contains("cls_token", Assert.Throws<ArgumentException>(() =>
            BatchEncoding.Encode(Tokenizer, ["a"], Ids with { Cls = null }, new BatchEncodingOptions { Wrap = SequenceWrap.ClsSep })).Message);
    }
}
