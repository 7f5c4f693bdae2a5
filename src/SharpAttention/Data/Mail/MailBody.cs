using System.Text;

namespace SharpAttention.Data.Mail;

/// <summary>
/// The readable body of an e-mail (RFC 5322 + MIME), as the SpamAssassin protocol wants it (../shared/DATA.md: the
/// headers give the answer away): headers dropped (everything up to the first blank line), transfer encodings and
/// charsets decoded, multipart messages walked (of alternatives the plain text when there is one, else the HTML; of
/// other multiparts every text part in order; attached messages by their own bodies; non-text parts skipped), HTML
/// turned into text. Lenient: any byte sequence gives some text, never an exception.
/// </summary>
public static class MailBody
{
    const int MaxDepth = 16;

    /// <summary>The body text of a raw message.</summary>
    public static string Extract(ReadOnlySpan<byte> raw) => Extract(Encoding.Latin1.GetString(raw));

    /// <summary>The body text of a raw message held one char per byte (as Latin-1 decoding gives).</summary>
    public static string Extract(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return HtmlText.Tidy(Entity(raw.Replace("\r\n", "\n"), "text/plain", 0));
    }

    static string Entity(string entity, string defaultType, int depth)
    {
        var (headers, body) = SplitHeaders(entity);
        var (type, parameters) = MimeHeaders.ContentType(headers.GetValueOrDefault("content-type"), defaultType);
        headers.TryGetValue("content-transfer-encoding", out var transfer);
        if (depth >= MaxDepth) return "";   // a pathological nesting is not worth a stack overflow
        if (type.StartsWith("multipart/", StringComparison.Ordinal) && parameters.TryGetValue("boundary", out var boundary))
        {
            var childDefault = type == "multipart/digest" ? "message/rfc822" : "text/plain";
            var parts = SplitMultipart(body, boundary);
            if (type == "multipart/alternative")
            {
                var chosen = parts.FirstOrDefault(p => PartType(p, childDefault) == "text/plain") ?? parts.LastOrDefault();
                return chosen is null ? "" : Entity(chosen, childDefault, depth + 1);
            }
            return string.Join("\n\n", parts.Select(p => Entity(p, childDefault, depth + 1)).Where(t => t.Length > 0));
        }
        if (type == "message/rfc822") return Entity(DecodedLatin1(body, transfer), "text/plain", depth + 1);
        // Images and attachments carry no text; a multipart without its boundary is read as the text it is.
        if (!type.StartsWith("text/", StringComparison.Ordinal) && !type.StartsWith("multipart/", StringComparison.Ordinal)) return "";
        var text = MimeDecoding.DecodeCharset(MimeDecoding.DecodeTransfer(body, transfer), parameters.GetValueOrDefault("charset"));
        return type == "text/html" ? HtmlText.ToText(text) : text;
    }

    static string DecodedLatin1(string body, string? transfer) => Encoding.Latin1.GetString(MimeDecoding.DecodeTransfer(body, transfer));

    static string PartType(string part, string defaultType) =>
        MimeHeaders.ContentType(SplitHeaders(part).Headers.GetValueOrDefault("content-type"), defaultType).Type;

    /// <summary>Header fields (names lower-cased, folded lines joined; the first of repeated fields wins) and the
    /// body after the first empty line. A part starting with an empty line has no headers; a text without an empty
    /// line is all headers.</summary>
    static (Dictionary<string, string> Headers, string Body) SplitHeaders(string entity)
    {
        int end = entity.StartsWith('\n') ? 0 : entity.IndexOf("\n\n", StringComparison.Ordinal);
        string head = end < 0 ? entity : entity[..end];
        string body = end < 0 ? "" : entity[(end + (end == 0 ? 1 : 2))..];
        return (MimeHeaders.Parse(head), body);
    }

    /// <summary>The parts between "--boundary" lines, without preamble and epilogue; the closing "--boundary--" may
    /// be missing (truncated mail).</summary>
    static List<string> SplitMultipart(string body, string boundary)
    {
        var parts = new List<string>();
        string delimiter = "--" + boundary;
        StringBuilder? current = null;
        foreach (var line in body.Split('\n'))
        {
            var trimmed = line.TrimEnd();
            if (trimmed == delimiter || trimmed == delimiter + "--")
            {
                if (current != null) parts.Add(current.ToString());
                if (trimmed.EndsWith("--", StringComparison.Ordinal) && trimmed.Length == delimiter.Length + 2) return parts;
                current = new StringBuilder();
                continue;
            }
            current?.Append(line).Append('\n');
        }
        if (current != null) parts.Add(current.ToString());
        return parts;
    }
}
