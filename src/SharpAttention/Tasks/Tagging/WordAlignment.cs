using Microsoft.ML.Tokenizers;
using SharpAttention.Models;
using SharpAttention.Text;

namespace SharpAttention.Tasks.Tagging;

/// <summary>A run of a sentence's words as the tagger reads it: [CLS] sub-tokens [SEP], the position of each word's first
/// sub-token, and each word's characters for the <see cref="CharWordEncoder"/>.</summary>
/// <param name="FirstWord">index in the sentence of the row's first word (long sentences are cut into several rows)</param>
/// <param name="Ids">sub-token ids, wrapping included</param>
/// <param name="WordStarts">per word of the row, the index in <paramref name="Ids"/> of its first sub-token</param>
/// <param name="Chars">per word, &lt;bow&gt; character ids &lt;eow&gt;</param>
/// <param name="Kinds">per word, the kind of each of those characters (<see cref="CharWordEncoder.KindOf"/>)</param>
public sealed record AlignedRow(int FirstWord, int[] Ids, int[] WordStarts, int[][] Chars, int[][] Kinds)
{
    public int WordCount => WordStarts.Length;

    /// <summary>Per sub-token, the tag id of the word it starts, or <paramref name="ignoreIndex"/> on wrapping tokens and a
    /// word's later sub-tokens (Hugging Face's token-classification labelling: only a word's first sub-token is scored).</summary>
    public long[] Labels(IReadOnlyList<int> sentenceTags, long ignoreIndex = -100)
    {
        var labels = new long[Ids.Length];
        Array.Fill(labels, ignoreIndex);
        for (int w = 0; w < WordStarts.Length; w++) labels[WordStarts[w]] = sentenceTags[FirstWord + w];
        return labels;
    }
}

/// <summary>
/// Words ↔ sub-tokens: each word is tokenized on its own (so sub-tokens never straddle words), its pieces follow one
/// another between [CLS] and [SEP], and the tag of a word goes on its first piece. A word the tokenizer gives no piece
/// for becomes [UNK]; pieces past <see cref="MaxPiecesPerWord"/> are dropped (the first one carries the tag, and the
/// characters carry the spelling). Sentences longer than the model's maximum length are cut between words.
/// </summary>
public sealed class WordAlignment
{
    readonly SpecialTokenIds specials;
    readonly Dictionary<char, int> charIds;
    readonly Dictionary<string, int[]> pieces = new(StringComparer.Ordinal);

    public Tokenizer Tokenizer { get; }

    /// <summary>Most sub-tokens kept per word.</summary>
    public int MaxPiecesPerWord { get; }

    /// <summary>Most characters per word, &lt;bow&gt;/&lt;eow&gt; excluded; longer words keep their first and last
    /// halves (prefixes and suffixes are what tells).</summary>
    public int MaxWordChars { get; }

    /// <summary>The character vocabulary: char i has id i + 4 (ids 0 … 3 are pad, unk, bow, eow).</summary>
    public IReadOnlyList<char> CharVocabulary { get; }

    public WordAlignment(Tokenizer tokenizer, SpecialTokenIds specials, IReadOnlyList<char> charVocabulary, int maxPiecesPerWord = 8, int maxWordChars = 20)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(specials);
        ArgumentNullException.ThrowIfNull(charVocabulary);
        if (specials.Cls is null || specials.Sep is null || specials.Unk is null)
            throw new ArgumentException("word alignment: the tokenizer needs cls, sep and unk special tokens");
        if (maxPiecesPerWord < 1 || maxWordChars < 2) throw new ArgumentOutOfRangeException(nameof(maxPiecesPerWord), "word alignment: need ≥ 1 piece and ≥ 2 characters per word");
        (Tokenizer, this.specials, CharVocabulary, MaxPiecesPerWord, MaxWordChars) = (tokenizer, specials, charVocabulary, maxPiecesPerWord, maxWordChars);
        charIds = [];
        for (int i = 0; i < charVocabulary.Count; i++) charIds.Add(charVocabulary[i], i + CharWordEncoder.EowId + 1);
    }

    /// <summary>The characters of <paramref name="words"/> in ordinal order, for <see cref="CharVocabulary"/>.</summary>
    public static char[] Characters(IEnumerable<string> words) => [.. words.SelectMany(w => w).Distinct().Order()];

    /// <summary>Size of the character id space (reserved ids included).</summary>
    public int NumChars => CharVocabulary.Count + CharWordEncoder.EowId + 1;

    /// <summary>A word's sub-token ids (at least one).</summary>
    public int[] Pieces(string word)
    {
        if (pieces.TryGetValue(word, out var ids)) return ids;
        ids = [.. Tokenizer.EncodeToIds(word).Take(MaxPiecesPerWord)];
        if (ids.Length == 0) ids = [specials.Unk!.Value];
        if (pieces.Count < 1_000_000) pieces[word] = ids;
        return ids;
    }

    /// <summary>&lt;bow&gt; character ids &lt;eow&gt;; a character outside the vocabulary is unk.</summary>
    public int[] Chars(string word) =>
        [CharWordEncoder.BowId, .. Kept(word).Select(c => charIds.GetValueOrDefault(c, CharWordEncoder.UnkId)), CharWordEncoder.EowId];

    /// <summary>The kinds of <see cref="Chars"/>' characters, the markers' kind included.</summary>
    public int[] Kinds(string word) => [CharWordEncoder.KindOf('\0'), .. Kept(word).Select(CharWordEncoder.KindOf), CharWordEncoder.KindOf('\0')];

    string Kept(string word) => word.Length <= MaxWordChars ? word : word[..(MaxWordChars / 2)] + word[^(MaxWordChars - MaxWordChars / 2)..];

    /// <summary>A sentence as rows of at most <paramref name="maxLength"/> tokens, cut between words.</summary>
    public IReadOnlyList<AlignedRow> Encode(IReadOnlyList<string> words, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (maxLength < MaxPiecesPerWord + 2) throw new ArgumentOutOfRangeException(nameof(maxLength), $"word alignment: max length {maxLength} cannot hold one word of {MaxPiecesPerWord} pieces and [CLS]/[SEP]");
        var rows = new List<AlignedRow>();
        var ids = new List<int> { specials.Cls!.Value };
        var starts = new List<int>();
        var chars = new List<int[]>();
        var kinds = new List<int[]>();
        int first = 0;
        for (int w = 0; w < words.Count; w++)
        {
            var p = Pieces(words[w]);
            if (ids.Count + p.Length + 1 > maxLength)
            {
                rows.Add(new AlignedRow(first, [.. ids, specials.Sep!.Value], [.. starts], [.. chars], [.. kinds]));
                (ids, starts, chars, kinds, first) = ([specials.Cls!.Value], [], [], [], w);
            }
            starts.Add(ids.Count);
            ids.AddRange(p);
            chars.Add(Chars(words[w]));
            kinds.Add(Kinds(words[w]));
        }
        rows.Add(new AlignedRow(first, [.. ids, specials.Sep!.Value], [.. starts], [.. chars], [.. kinds]));
        return rows;
    }
}
