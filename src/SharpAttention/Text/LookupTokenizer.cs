using System.Buffers;
using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// What word-level and character-level tokenizers share (Hugging Face's WordLevel model): cut the text into units,
/// look each unit up in a token → id table, and give the unknown token to a unit the table lacks. Special tokens
/// written in the text are matched first, as themselves; lower-casing maps char to char (invariant culture), so
/// offsets always point into the caller's original text.
/// </summary>
public abstract class LookupTokenizer : Tokenizer
{
    readonly Dictionary<string, int> vocabulary;
    readonly string[] tokens;
    readonly string[] specials;   // longest first, so "<unk>" is not cut by a shorter "<u"
    readonly HashSet<int> specialIds;

    /// <param name="tokens">The vocabulary in id order (token i has id i).</param>
    /// <param name="unknownToken">The token of units outside the vocabulary; must be in it.</param>
    /// <param name="specialTokens">Tokens matched verbatim in the text before it is cut; each must be in the vocabulary.</param>
    /// <param name="lowerCase">Whether units are lower-cased before lookup (HF's do_lower_case).</param>
    protected LookupTokenizer(IReadOnlyList<string> tokens, string unknownToken, IEnumerable<string>? specialTokens, bool lowerCase)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(unknownToken);
        this.tokens = [.. tokens];
        vocabulary = new Dictionary<string, int>(this.tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < this.tokens.Length; i++)
        {
            if (string.IsNullOrEmpty(this.tokens[i])) throw new ArgumentException($"vocabulary: token {i} is empty", nameof(tokens));
            if (!vocabulary.TryAdd(this.tokens[i], i)) throw new ArgumentException($"vocabulary: token '{this.tokens[i]}' appears twice (ids {vocabulary[this.tokens[i]]} and {i})", nameof(tokens));
        }
        UnknownToken = unknownToken;
        UnknownTokenId = vocabulary.TryGetValue(unknownToken, out int unk) ? unk
            : throw new ArgumentException($"vocabulary: the unknown token '{unknownToken}' is not in it", nameof(unknownToken));
        specials = [.. (specialTokens ?? []).Append(unknownToken).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal)];
        foreach (var special in specials)
            if (!vocabulary.ContainsKey(special)) throw new ArgumentException($"vocabulary: the special token '{special}' is not in it", nameof(specialTokens));
        specialIds = [.. specials.Select(s => vocabulary[s])];
        LowerCase = lowerCase;
    }

    /// <summary>Token → id.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => vocabulary;

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => tokens;

    public string UnknownToken { get; }
    public int UnknownTokenId { get; }
    public bool LowerCase { get; }

    /// <summary>The special tokens (the unknown token included), matched verbatim in the text.</summary>
    public IReadOnlyList<string> SpecialTokens => specials;

    public override Normalizer? Normalizer => LowerCase ? LowerCaseNormalizer.Instance : null;

    /// <summary>The (start, length) of each unit of a piece of text between special tokens.</summary>
    protected abstract void Split(ReadOnlySpan<char> text, List<(int Start, int Length)> units);

    /// <summary>What <see cref="Decode(IEnumerable{int})"/> puts between two tokens.</summary>
    protected abstract string Separator { get; }

    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var original = text is null ? textSpan : text.AsSpan();
        string? normalized = LowerCase && settings.ConsiderNormalization ? original.ToString().ToLowerInvariant() : null;
        var lookup = normalized is null ? original : normalized.AsSpan();
        int max = settings.MaxTokenCount;
        var result = new List<EncodedToken>();
        var units = new List<(int Start, int Length)>();
        int consumed = 0, start = 0;
        while (start <= original.Length && result.Count < max)
        {
            var (specialAt, special) = NextSpecial(original, start);
            var piece = lookup[start..specialAt];
            units.Clear();
            if (settings.ConsiderPreTokenization) Split(piece, units);
            else if (piece.Length > 0) units.Add((0, piece.Length));
            foreach (var (s, n) in units)
            {
                if (result.Count == max) break;
                var unit = piece.Slice(s, n);
                int id = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(unit, out int found) ? found : UnknownTokenId;
                result.Add(new EncodedToken(id, tokens[id], new Range(start + s, start + s + n)));
                consumed = start + s + n;
            }
            if (special is null || result.Count == max)
            {
                if (result.Count < max) consumed = original.Length;
                break;
            }
            result.Add(new EncodedToken(vocabulary[special], special, new Range(specialAt, specialAt + special.Length)));
            consumed = start = specialAt + special.Length;
        }
        return new EncodeResults<EncodedToken> { Tokens = result, NormalizedText = normalized, CharsConsumed = consumed };
    }

    /// <summary>Where the next special token starts at or after <paramref name="from"/> (the text's length if none).</summary>
    (int At, string? Special) NextSpecial(ReadOnlySpan<char> text, int from)
    {
        for (int i = from; i < text.Length; i++)
            foreach (var special in specials)
                if (text[i..].StartsWith(special, StringComparison.Ordinal)) return (i, special);
        return (text.Length, null);
    }

    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd,
        out string? normalizedText, out int tokenCount)
    {
        var all = EncodeToTokens(text, textSpan, settings with { MaxTokenCount = int.MaxValue });
        normalizedText = all.NormalizedText;
        int length = text?.Length ?? textSpan.Length;
        var list = all.Tokens;
        tokenCount = Math.Min(settings.MaxTokenCount, list.Count);
        if (tokenCount == list.Count) return fromEnd ? 0 : length;
        if (fromEnd) return tokenCount == 0 ? length : list[^tokenCount].Offset.Start.Value;
        return tokenCount == 0 ? 0 : list[tokenCount - 1].Offset.End.Value;
    }

    /// <summary>The tokens of <paramref name="ids"/> joined by the separator, special tokens included (HF's default).</summary>
    public override string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>The tokens of <paramref name="ids"/> joined by the separator; an id outside the vocabulary is an error naming it.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return string.Join(Separator, Pieces(ids, skipSpecialTokens));
    }

    IEnumerable<string> Pieces(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"decode: id {id} is outside the vocabulary (0..{tokens.Length - 1})");
            if (!(skipSpecialTokens && specialIds.Contains(id))) yield return tokens[id];
        }
    }

    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        idsConsumed = charsWritten = 0;
        foreach (var piece in Pieces(ids, skipSpecialTokens: false))
        {
            int need = (idsConsumed > 0 ? Separator.Length : 0) + piece.Length;
            if (charsWritten + need > destination.Length) return OperationStatus.DestinationTooSmall;
            if (idsConsumed > 0) Separator.CopyTo(destination[charsWritten..]);
            piece.CopyTo(destination[(charsWritten + need - piece.Length)..]);
            charsWritten += need;
            idsConsumed++;
        }
        return OperationStatus.Done;
    }
}
