using System.Net;
using System.Text.RegularExpressions;

namespace SharpAttention.Data.Mail;

/// <summary>
/// HTML to the text a reader sees: comments, &lt;script&gt;, &lt;style&gt; and &lt;xml&gt; (Word's metadata) go with
/// their content (the &lt;title&gt; stays: it is shown, and an image-only mail has no other text),
/// block-level tags and table cells become line breaks or spaces so words on either side stay apart, other tags
/// vanish, entities are decoded (named and numeric), and runs of blanks collapse. Tolerant of the broken markup of
/// real mail (unclosed elements, upper case, stray '&lt;').
/// </summary>
public static partial class HtmlText
{
    [GeneratedRegex(@"<!--.*?(-->|$)", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"<(script|style|xml)\b[^>]*>.*?(</\1\s*>|$)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Invisible();

    [GeneratedRegex(@"</?(br|p|div|tr|li|ul|ol|table|h[1-6]|blockquote|pre|hr|center|dt|dd)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Block();

    [GeneratedRegex(@"</?(td|th)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Cell();

    [GeneratedRegex(@"</?[a-zA-Z!][^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t\f\v\u00A0]+")]
    private static partial Regex Blanks();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();

    public static string ToText(string html)
    {
        ArgumentNullException.ThrowIfNull(html);
        // Source line breaks are layout, not text, in HTML: only block tags break lines.
        var s = html.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ');
        s = Comment().Replace(s, " ");
        s = Invisible().Replace(s, " ");
        s = Block().Replace(s, "\n");
        s = Cell().Replace(s, " ");
        s = Tag().Replace(s, "");
        // Entities last, so that "&lt;b&gt;" stays literal text rather than becoming a tag to strip.
        return Tidy(WebUtility.HtmlDecode(s));
    }

    /// <summary>Collapses blanks, trims each line and keeps at most one empty line in a row.</summary>
    internal static string Tidy(string text)
    {
        var lines = Blanks().Replace(text.Replace("\r\n", "\n").Replace('\r', '\n'), " ").Split('\n').Select(l => l.Trim());
        return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim();
    }
}
