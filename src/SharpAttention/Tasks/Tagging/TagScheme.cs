namespace SharpAttention.Tasks.Tagging;

/// <summary>How a tag set marks spans (entities, chunks): Ramshaw and Marcus 1995's BIO (IOB2), or BIOES, which adds
/// E- for a span's last token and S- for a one-token span. None: plain tags such as parts of speech.</summary>
public enum TagScheme
{
    None,
    Bio,
    Bioes,
}

/// <summary>Reading BIO/BIOES tags: the scheme of a tag set, each tag's prefix and type, and which tag may follow which.</summary>
public static class TagSchemes
{
    /// <summary>Bioes when every tag is O or B-/I-/E-/S-X and some tag is E- or S-; Bio when every tag is O or B-/I-X
    /// and some tag is B- or I-; otherwise None.</summary>
    public static TagScheme Detect(IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        bool any = false, es = false;
        foreach (var tag in tags)
        {
            var (prefix, _) = Parse(tag);
            if (prefix == '?') return TagScheme.None;
            any |= prefix != 'O';
            es |= prefix is 'E' or 'S';
        }
        return !any ? TagScheme.None : es ? TagScheme.Bioes : TagScheme.Bio;
    }

    /// <summary>"B-PER" → ('B', "PER"); "O" → ('O', ""); a tag of neither form → ('?', tag).</summary>
    public static (char Prefix, string Type) Parse(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (tag == "O") return ('O', "");
        return tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I' or 'E' or 'S' ? (tag[0], tag[2..]) : ('?', tag);
    }

    /// <summary>Whether <paramref name="next"/> may follow <paramref name="previous"/> (null: the sentence start). BIO:
    /// I-X only after B-X or I-X. BIOES: inside a span (after B-X or I-X) only I-X or E-X; outside one, only O, B- or S-.</summary>
    public static bool Allowed(TagScheme scheme, string? previous, string next)
    {
        if (scheme == TagScheme.None) return true;
        var (p, pType) = previous is null ? ('O', "") : Parse(previous);
        var (n, nType) = Parse(next);
        bool inside = p is 'B' or 'I';
        return scheme == TagScheme.Bio
            ? n != 'I' || inside && pType == nType
            : inside ? n is 'I' or 'E' && pType == nType : n is 'O' or 'B' or 'S';
    }

    /// <summary>Whether a sentence may end on <paramref name="last"/>: BIOES spans must be closed (no B- or I- last).</summary>
    public static bool AllowedAtEnd(TagScheme scheme, string last) =>
        scheme != TagScheme.Bioes || Parse(last).Prefix is not ('B' or 'I');

    /// <summary>The transition table of <see cref="Allowed"/> over <paramref name="tags"/>, with the start and end rows,
    /// as <see cref="Decoding.Viterbi.Decode"/> takes them.</summary>
    public static (bool[,] Transitions, bool[] Start, bool[] End) Constraints(TagScheme scheme, IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var transitions = new bool[tags.Count, tags.Count];
        for (int p = 0; p < tags.Count; p++)
            for (int n = 0; n < tags.Count; n++) transitions[p, n] = Allowed(scheme, tags[p], tags[n]);
        return (transitions, [.. tags.Select(t => Allowed(scheme, null, t))], [.. tags.Select(t => AllowedAtEnd(scheme, t))]);
    }

    /// <summary>
    /// The spans (first and last index, inclusive, and type) a tag sequence marks, read as the CoNLL shared tasks'
    /// conlleval script reads them, with the S-/E- rules of its IOBES extension: a span starts at B- or S-, at an I- or
    /// E- that follows O, E- or S- — so an I-X without a B-X still starts a span — and wherever the type changes; it
    /// ends before O, B- or S-, after E- or S-, and before a change of type.
    /// </summary>
    public static List<(int Start, int End, string Type)> Spans(IReadOnlyList<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var spans = new List<(int, int, string)>();
        char prev = 'O';
        string prevType = "";
        int start = -1;
        for (int i = 0; i <= tags.Count; i++)
        {
            var (tag, type) = i < tags.Count ? Parse(tags[i]) : ('O', "");
            if (tag == '?') tag = 'B';   // a tag outside the scheme opens a span of its own type
            if (start >= 0 && EndOfSpan(prev, tag, prevType, type))
            {
                spans.Add((start, i - 1, prevType));
                start = -1;
            }
            if (StartOfSpan(prev, tag, prevType, type)) start = i;
            (prev, prevType) = (tag, type);
        }
        return spans;
    }

    static bool EndOfSpan(char prev, char tag, string prevType, string type) =>
        prev is 'E' or 'S'
        || prev is 'B' or 'I' && tag is 'B' or 'S' or 'O'
        || prev != 'O' && prevType != type;

    static bool StartOfSpan(char prev, char tag, string prevType, string type) =>
        tag is 'B' or 'S'
        || prev is 'E' or 'S' or 'O' && tag is 'I' or 'E'
        || tag != 'O' && prevType != type;
}
