using Microsoft.ML.Tokenizers;
using SharpAttention.Data;
using SharpAttention.Tensors;

namespace SharpAttention.Text;

/// <summary>Which tokens of a text longer than max_length are kept.</summary>
public enum Truncation
{
    /// <summary>The first tokens (Hugging Face's truncation_side "right").</summary>
    Head,
    /// <summary>The last tokens (truncation_side "left").</summary>
    Tail,
    /// <summary>A quarter of the room, rounded half up, from the start and the rest from the end — Sun et al. 2019's
    /// "head+tail" (128 + 382 of 510), which classified long reviews best.</summary>
    HeadAndTail,
}

/// <summary>The tokens put around each text.</summary>
public enum SequenceWrap
{
    None,
    /// <summary>[CLS] text [SEP] (BERT).</summary>
    ClsSep,
    /// <summary>&lt;bos&gt; text &lt;eos&gt; (language models, seq2seq).</summary>
    BosEos,
}

/// <summary>Settings of <see cref="BatchEncoding.Encode"/> (Hugging Face's tokenizer call arguments).</summary>
public sealed record BatchEncodingOptions
{
    /// <summary>Most tokens per text, wrapping tokens included (max_length); longer texts are truncated. Null: none.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Which tokens survive truncation.</summary>
    public Truncation Truncation { get; init; } = Truncation.Head;

    /// <summary>Pad every row to <see cref="MaxLength"/> (padding="max_length") instead of to the longest row ("longest").</summary>
    public bool PadToMaxLength { get; init; }

    /// <summary>Special tokens around each text.</summary>
    public SequenceWrap Wrap { get; init; }
}

/// <summary>
/// A batch of texts as a model takes it (Hugging Face's BatchEncoding): padded ids, the two mask conventions, and
/// each token's characters in its text.
/// </summary>
/// <param name="InputIds">(B, T) int64 token ids, pad_token after each row's end.</param>
/// <param name="AttentionMask">(B, T) int64, 1 at tokens and 0 at padding (Hugging Face's attention_mask).</param>
/// <param name="KeyPaddingMask">(B, T) bool, true at padding (torch's key_padding_mask).</param>
/// <param name="Offsets">Per row, the [start, end) characters of each real token in its text; wrapping tokens get
/// (0, 0) as in Hugging Face's offset_mapping. Offsets point into the tokenizer's normalised text, which for the
/// word, char and BPE tokenizers here is the text itself.</param>
/// <param name="Lengths">Real tokens per row (wrapping included).</param>
public sealed record BatchEncoding(Tensor InputIds, Tensor AttentionMask, Tensor KeyPaddingMask,
    IReadOnlyList<(int Start, int End)[]> Offsets, IReadOnlyList<int> Lengths)
{
    /// <summary>Encodes <paramref name="texts"/> with <paramref name="tokenizer"/>; <paramref name="specials"/> gives
    /// the pad id and the wrapping ids (<see cref="SpecialTokens.Resolve"/>).</summary>
    public static BatchEncoding Encode(Tokenizer tokenizer, IReadOnlyList<string> texts, SpecialTokenIds specials, BatchEncodingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(specials);
        options ??= new BatchEncodingOptions();
        int pad = specials.Pad ?? throw new ArgumentException("the tokenizer declares no pad_token; batches need one", nameof(specials));
        int[] start = [], end = [];
        if (options.Wrap == SequenceWrap.ClsSep)
            (start, end) = ([specials.Cls ?? throw Missing("cls_token")], [specials.Sep ?? throw Missing("sep_token")]);
        else if (options.Wrap == SequenceWrap.BosEos)
            (start, end) = ([specials.Bos ?? throw Missing("bos_token")], [specials.Eos ?? throw Missing("eos_token")]);
        int? room = options.MaxLength - start.Length - end.Length;
        if (room < 0) throw new ArgumentOutOfRangeException(nameof(options), $"max_length {options.MaxLength} leaves no room for the {start.Length + end.Length} wrapping tokens");
        if (options.PadToMaxLength && options.MaxLength is null) throw new ArgumentException("padding to max_length needs a MaxLength", nameof(options));

        var rows = new int[texts.Count][];
        var offsets = new (int, int)[texts.Count][];
        for (int b = 0; b < texts.Count; b++)
        {
            var tokens = Keep(tokenizer.EncodeToTokens(texts[b] ?? throw new ArgumentException($"text {b} is null", nameof(texts)), out _), room, options.Truncation);
            rows[b] = [.. start, .. tokens.Select(t => t.Id), .. end];
            offsets[b] = [.. start.Select(_ => (0, 0)), .. tokens.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)), .. end.Select(_ => (0, 0))];
        }
        var padded = Padding.PadSequences(rows, pad, options.PadToMaxLength ? options.MaxLength : null);
        var paddingMask = padded.PaddingMask.ToBoolArray();
        var attention = Array.ConvertAll(paddingMask, p => p ? 0L : 1L);
        return new BatchEncoding(padded.Ids, Tensor.FromArray(attention, padded.BatchSize, padded.Length), padded.PaddingMask, offsets, [.. rows.Select(r => r.Length)]);

        static ArgumentException Missing(string key) => new($"wrapping needs the tokenizer's {key}, which it does not declare", nameof(specials));
    }

    /// <summary>The tokens truncation keeps out of <paramref name="tokens"/> when at most <paramref name="room"/> fit.</summary>
    internal static IReadOnlyList<EncodedToken> Keep(IReadOnlyList<EncodedToken> tokens, int? room, Truncation truncation)
    {
        if (room is not int n || tokens.Count <= n) return tokens;
        return truncation switch
        {
            Truncation.Head => [.. tokens.Take(n)],
            Truncation.Tail => [.. tokens.Skip(tokens.Count - n)],
            _ => [.. tokens.Take((n + 2) / 4), .. tokens.Skip(tokens.Count - (n - (n + 2) / 4))],
        };
    }
}
