using Microsoft.ML.Tokenizers;

namespace SharpAttention.Text;

/// <summary>
/// The special tokens a tokenizer declares, under Hugging Face's tokenizer_config.json names (<c>unk_token</c>,
/// <c>pad_token</c>, <c>bos_token</c>, <c>eos_token</c>, <c>cls_token</c>, <c>sep_token</c>, <c>mask_token</c>);
/// null where the tokenizer has none.
/// </summary>
public sealed record SpecialTokens
{
    public string? Unk { get; init; }
    public string? Pad { get; init; }
    public string? Bos { get; init; }
    public string? Eos { get; init; }
    public string? Cls { get; init; }
    public string? Sep { get; init; }
    public string? Mask { get; init; }

    /// <summary>BERT's five, in the order of its vocab.txt (ids 0–4 as our WordPiece trainer writes them).</summary>
    public static SpecialTokens Bert { get; } = new() { Pad = "[PAD]", Unk = "[UNK]", Cls = "[CLS]", Sep = "[SEP]", Mask = "[MASK]" };

    /// <summary>The project's sequence tokens (<see cref="Vocabulary"/>'s ids 0–3): &lt;pad&gt;, &lt;bos&gt;, &lt;eos&gt;, &lt;unk&gt;.</summary>
    public static SpecialTokens Sequence { get; } = new() { Pad = "<pad>", Bos = "<bos>", Eos = "<eos>", Unk = "<unk>" };

    /// <summary>GPT-2's one special token, which serves as bos, eos and unk.</summary>
    public static SpecialTokens Gpt2 { get; } = new() { Bos = "<|endoftext|>", Eos = "<|endoftext|>", Unk = "<|endoftext|>" };

    /// <summary>The declared tokens with their Hugging Face key, in a fixed order (pad, bos, eos, unk, cls, sep, mask: both
    /// <see cref="Sequence"/>'s and <see cref="Bert"/>'s id order) (duplicates kept: GPT-2 names one token thrice).</summary>
    public IEnumerable<(string Key, string Token)> Declared()
    {
        (string Key, string? Token)[] all =
            [("pad_token", Pad), ("bos_token", Bos), ("eos_token", Eos), ("unk_token", Unk), ("cls_token", Cls), ("sep_token", Sep), ("mask_token", Mask)];
        return all.Where(p => p.Token != null).Select(p => (p.Key, p.Token!));
    }

    /// <summary>The distinct tokens, first declared first — the order a trainer gives them ids 0, 1, ….</summary>
    public IReadOnlyList<string> Distinct() => [.. Declared().Select(p => p.Token).Distinct(StringComparer.Ordinal)];

    /// <summary>Looks every declared token up in <paramref name="tokenizer"/>; a token it does not encode to exactly
    /// one id is an <see cref="ArgumentException"/> naming the key.</summary>
    public SpecialTokenIds Resolve(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int? Id(string key, string? token)
        {
            if (token is null) return null;
            return SpecialTokenIds.TryFind(tokenizer, token) ?? throw new ArgumentException($"{key} '{token}' is not one token of the tokenizer's vocabulary");
        }
        return new SpecialTokenIds(Id("unk_token", Unk), Id("pad_token", Pad), Id("bos_token", Bos), Id("eos_token", Eos),
            Id("cls_token", Cls), Id("sep_token", Sep), Id("mask_token", Mask));
    }
}

/// <summary>The ids of a tokenizer's special tokens (null where it declares none), as tasks need them: padding,
/// sequence wrapping, unknown words.</summary>
public sealed record SpecialTokenIds(int? Unk, int? Pad, int? Bos, int? Eos, int? Cls, int? Sep, int? Mask)
{
    /// <summary>The id of <paramref name="token"/>: from the tokenizer's own tables where it has them (our lookup
    /// tokenizers, Microsoft's WordPiece/BERT, BPE and Tiktoken), otherwise the one id the token alone encodes to.</summary>
    internal static int? TryFind(Tokenizer tokenizer, string token)
    {
        static int? In(IReadOnlyDictionary<string, int>? table, string token) => table != null && table.TryGetValue(token, out int id) ? id : null;
        return tokenizer switch
        {
            LookupTokenizer t => In(t.Vocabulary, token),
            WordPieceTokenizer t => In(t.SpecialTokens, token) ?? (t.UnknownToken == token ? t.UnknownTokenId : null),
            BpeTokenizer t => In(t.SpecialTokens, token) ?? In(t.Vocabulary, token),
            TiktokenTokenizer t when In(t.SpecialTokens, token) is int id => id,
            _ => tokenizer.EncodeToIds(token, considerPreTokenization: false, considerNormalization: false) is { Count: 1 } ids ? ids[0] : null,
        };
    }
}
