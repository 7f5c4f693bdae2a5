using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Data.Mail;

/// <summary>
/// The readable body of an e-mail (RFC 5322 + MIME), as the SpamAssassin protocol wants it (../shared/DATA.md: the
/// headers give the answer away): headers dropped (everything up to the first blank line), transfer encodings and
/// charsets decoded, multipart messages walked (of alternatives the plain text when it has any, else the richest
/// other; of other multiparts every text part in order; attached messages by their own bodies; non-text parts
/// skipped), HTML turned into text (<see cref="HtmlText"/>). Lenient: any byte sequence gives some text, never an
/// exception; and it repairs what broken mailers send, as mail readers do:
/// <list type="bullet">
/// <item>a delimiter line that differs from the declared boundary only in blanks ("--= Multipart Boundary 1" for
/// boundary "=Multipart Boundary 1") still delimits, when no line matches exactly;</item>
/// <item>a body that opens with a delimiter line followed by "Content-…" fields is read as the multipart it is, when
/// the boundary parameter or the whole Content-Type field is missing or says otherwise;</item>
/// <item>a text/plain part (or a part without Content-Type) that starts like an HTML document — WHATWG MIME
/// Sniffing's HTML patterns: "&lt;html", "&lt;!DOCTYPE html", "&lt;body", "&lt;font", "&lt;p" … — is read as
/// HTML;</item>
/// <item>HTML without a MIME charset takes the one of its &lt;meta&gt; tag;</item>
/// <item>an application/octet-stream attachment named *.txt, *.htm or *.html is read as the text it is.</item>
/// </list>
/// Header fields never reach the text: attached messages lose theirs and text/rfc822-headers parts are skipped.
/// </summary>
public static partial class MailBody
{
    const int MaxDepth = 16;

    /// <summary>The body text of a raw message; <paramref name="linkTargets"/> as in <see cref="HtmlText.ToText"/>.</summary>
    public static string Extract(ReadOnlySpan<byte> raw, bool linkTargets = true) => Extract(Encoding.Latin1.GetString(raw), linkTargets);

    /// <summary>The body text of a raw message held one char per byte (as Latin-1 decoding gives).</summary>
    public static string Extract(string raw, bool linkTargets = true)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return HtmlText.Tidy(Entity(raw.Replace("\r\n", "\n"), "text/plain", 0, linkTargets));
    }

    static string Entity(string entity, string defaultType, int depth, bool linkTargets)
    {
        if (depth >= MaxDepth) return "";   // a pathological nesting is not worth a stack overflow
        var (headers, body) = SplitHeaders(entity);
        headers.TryGetValue("content-type", out var field);
        var (type, parameters) = MimeHeaders.ContentType(field, defaultType);
        headers.TryGetValue("content-transfer-encoding", out var transfer);
        bool multipart = type.StartsWith("multipart/", StringComparison.Ordinal);
        parameters.TryGetValue("boundary", out var boundary);
        if ((!multipart || boundary is null) && GuessBoundary(body, preamble: multipart || field is null) is { } guessed)
        {
            if (!multipart) type = "multipart/mixed";
            (multipart, boundary) = (true, guessed);
        }
        if (multipart && boundary != null)
        {
            var childDefault = type == "multipart/digest" ? "message/rfc822" : "text/plain";
            var parts = SplitMultipart(body, boundary);
            if (type == "multipart/alternative")
            {
                // The plain text, as Géron reads it; when it is blank (spam often sends an empty one), the richest
                // other alternative, which RFC 2046 §5.1.4 puts last.
                var plain = parts.Where(p => PartType(p, childDefault) == "text/plain").ToList();
                foreach (var part in plain.Concat(parts.Except(plain).Reverse()))
                {
                    var text = Entity(part, childDefault, depth + 1, linkTargets);
                    if (!string.IsNullOrWhiteSpace(text)) return text;
                }
                return "";
            }
            return string.Join("\n\n", parts.Select(p => Entity(p, childDefault, depth + 1, linkTargets)).Where(t => t.Length > 0));
        }
        if (type == "message/rfc822") return Entity(DecodedLatin1(body, transfer), "text/plain", depth + 1, linkTargets);
        if (type == "application/octet-stream") type = TypeByFileName(headers, parameters) ?? type;
        // Images and attachments carry no text, header dumps are headers; a multipart without any boundary is read as
        // the text it is.
        if (type == "text/rfc822-headers") return "";
        if (!type.StartsWith("text/", StringComparison.Ordinal) && !multipart) return "";
        var bytes = MimeDecoding.DecodeTransfer(body, transfer);
        bool html = type == "text/html" || (type == "text/plain" && LooksLikeHtml(bytes));
        var charset = parameters.GetValueOrDefault("charset");
        if (html && !MimeDecoding.IsKnownCharset(charset)) charset = MetaCharset(bytes) ?? charset;
        var decoded = MimeDecoding.DecodeCharset(bytes, charset);
        return html ? HtmlText.ToText(decoded, linkTargets) : decoded;
    }

    static string DecodedLatin1(string body, string? transfer) => Encoding.Latin1.GetString(MimeDecoding.DecodeTransfer(body, transfer));

    static string PartType(string part, string defaultType) =>
        MimeHeaders.ContentType(SplitHeaders(part).Headers.GetValueOrDefault("content-type"), defaultType).Type;

    /// <summary>"text/plain" or "text/html" for an octet-stream attachment named *.txt or *.htm(l) (the name from
    /// Content-Type's name or Content-Disposition's filename), else null.</summary>
    static string? TypeByFileName(Dictionary<string, string> headers, Dictionary<string, string> parameters)
    {
        var name = parameters.GetValueOrDefault("name")
            ?? MimeHeaders.ContentType(headers.GetValueOrDefault("content-disposition"), "attachment").Parameters.GetValueOrDefault("filename");
        var extension = Path.GetExtension(name ?? "").ToLowerInvariant();
        return extension switch { ".txt" => "text/plain", ".htm" or ".html" => "text/html", _ => null };
    }

    // WHATWG MIME Sniffing §7.1 (rules for identifying an unknown MIME type), the HTML patterns: after leading
    // whitespace, one of these tags (any case) followed by a space or '>'; plus Eudora's "<x-html>" wrapper.
    [GeneratedRegex(@"\A[\t\n\f\r ]*<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--|x-html)[ >]", RegexOptions.IgnoreCase)]
    private static partial Regex HtmlStart();

    static bool LooksLikeHtml(byte[] bytes) => HtmlStart().IsMatch(Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 512)));

    [GeneratedRegex(@"<meta\b[^>]*?charset\s*=\s*[""']?\s*(?<charset>[A-Za-z0-9_.:-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex MetaCharsetTag();

    /// <summary>The charset a &lt;meta&gt; tag in the first 4 KB declares (both the HTML5 "charset" attribute and
    /// the http-equiv "content" form), or null.</summary>
    static string? MetaCharset(byte[] bytes)
    {
        var match = MetaCharsetTag().Match(Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 4096)));
        return match.Success ? match.Groups["charset"].Value : null;
    }

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

    [GeneratedRegex(@"^Content-[A-Za-z-]+[ \t]*:", RegexOptions.IgnoreCase)]
    private static partial Regex ContentField();

    /// <summary>The boundary of a body that is a multipart whatever its header says: a line "--X" directly followed by
    /// a "Content-…:" field, as the first non-blank line or, with <paramref name="preamble"/>, one of the first three
    /// (after a "This is a multi-part message" preamble). Null when the body does not open that way.</summary>
    static string? GuessBoundary(string body, bool preamble)
    {
        var lines = body.Split('\n', 64);
        int seen = 0;
        for (int i = 0; i + 1 < lines.Length && seen < (preamble ? 3 : 1); i++)
        {
            var line = lines[i].TrimEnd();
            if (line.Length == 0) continue;
            seen++;
            if (line.Length > 2 && line.StartsWith("--", StringComparison.Ordinal) && ContentField().IsMatch(lines[i + 1]))
                return line[2..];
        }
        return null;
    }

    /// <summary>The parts between "--boundary" lines (RFC 2046 §5.1.1: transport padding after the boundary
    /// allowed), without preamble and epilogue; the closing "--boundary--" may be missing (truncated mail). When no
    /// line matches, lines that match once all blanks are ignored delimit instead.</summary>
    static List<string> SplitMultipart(string body, string boundary)
    {
        var parts = SplitMultipart(body, boundary, static s => s.TrimEnd(), out bool found);
        return found ? parts : SplitMultipart(body, boundary, static s => string.Concat(s.Where(c => !char.IsWhiteSpace(c))), out _);
    }

    static List<string> SplitMultipart(string body, string boundary, Func<string, string> normalise, out bool found)
    {
        var parts = new List<string>();
        string delimiter = normalise("--" + boundary);
        StringBuilder? current = null;
        found = false;
        foreach (var line in body.Split('\n'))
        {
            var key = normalise(line);
            if (key == delimiter || key == delimiter + "--")
            {
                found = true;
                if (current != null) parts.Add(current.ToString());
                if (key.Length == delimiter.Length + 2) return parts;
                current = new StringBuilder();
                continue;
            }
            current?.Append(line).Append('\n');
        }
        if (current != null) parts.Add(current.ToString());
        return parts;
    }
}
