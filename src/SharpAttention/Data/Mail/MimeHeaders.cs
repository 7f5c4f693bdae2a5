namespace SharpAttention.Data.Mail;

/// <summary>Header fields of a MIME entity and the Content-Type field's type and parameters (RFC 2045 §5).</summary>
internal static class MimeHeaders
{
    /// <summary>Fields by lower-cased name; continuation lines (starting with a blank) are joined to their field.</summary>
    public static Dictionary<string, string> Parse(string head)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var value = new System.Text.StringBuilder();
        void Flush()
        {
            if (name != null) fields.TryAdd(name, value.ToString().Trim());
        }
        foreach (var line in head.Split('\n'))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                if (name != null) value.Append(' ').Append(line.Trim());
                continue;
            }
            Flush();
            int colon = line.IndexOf(':');
            name = colon > 0 && !line.StartsWith("From ", StringComparison.Ordinal) ? line[..colon].Trim().ToLowerInvariant() : null;
            value.Clear();
            if (name != null) value.Append(line[(colon + 1)..]);
        }
        Flush();
        return fields;
    }

    /// <summary>"text/html; charset="iso-8859-1"" → ("text/html", {charset: iso-8859-1}); a missing or malformed
    /// type gives <paramref name="defaultType"/>. Parameter names are lower-cased, quotes removed.</summary>
    public static (string Type, Dictionary<string, string> Parameters) ContentType(string? field, string defaultType)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(field)) return (defaultType, parameters);
        var pieces = SplitParameters(field);
        var type = pieces[0].Trim().ToLowerInvariant();
        if (!type.Contains('/')) type = defaultType;
        foreach (var piece in pieces.Skip(1))
        {
            int eq = piece.IndexOf('=');
            if (eq <= 0) continue;
            var value = piece[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1].Replace("\\\"", "\"");
            parameters.TryAdd(piece[..eq].Trim().ToLowerInvariant(), value);
        }
        return (type, parameters);
    }

    /// <summary>Splits at ';' outside double quotes.</summary>
    static List<string> SplitParameters(string field)
    {
        var pieces = new List<string>();
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '"') quoted = !quoted;
            else if (field[i] == ';' && !quoted)
            {
                pieces.Add(field[start..i]);
                start = i + 1;
            }
        }
        pieces.Add(field[start..]);
        return pieces;
    }
}
