using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpAttention.Data.Mail;

/// <summary>
/// HTML to the text a reader sees, in the manner of text browsers (lynx, w3m): comments, &lt;script&gt;,
/// &lt;style&gt; and &lt;xml&gt; (Word's metadata) go with their content (the &lt;title&gt; stays: it is shown, and an
/// image-only mail has no other text); block-level tags, table cells and list options become line breaks or spaces
/// so words on either side stay apart; an image gives its alt text; a link keeps its target after its text, as
/// "text &lt;http://host/path&gt;" (frames and image-map areas too); other tags vanish, entities are decoded (named
/// and numeric), and runs of blanks collapse. Tolerant of the broken markup of real mail (unclosed elements, upper
/// case, stray '&lt;', a "&lt;!--" never closed).
/// </summary>
/// <remarks>
/// Link targets are kept compact, since a model reads a few hundred tokens at most: the query and fragment are
/// dropped (mostly per-recipient tracking: "click.cgi?id=8812&amp;u=…" → "click.cgi"), disguises undone
/// ("http://%77%77%77.x.com" → "http://www.x.com", "http://bank.com@1.2.3.4/" → "http://1.2.3.4/"), in-page
/// ("#top") and script links not shown, a target already spelt out by the link text not repeated, and neither is a
/// target equal to the one shown just before (a row of image links to one shop shows it once).
/// </remarks>
public static partial class HtmlText
{
    // A comment ends at "-->"; one never closed ends at the next '>' (spam's "<!--#rotate>" meant a tag, not to hide
    // the rest of the mail), or at the end.
    [GeneratedRegex(@"<!--(.*?-->|[^>]*(>|$))", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"<(script|style|xml)\b[^>]*>.*?(</\1\s*>|$)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Invisible();

    // Element tags (name, attributes) and declarations or processing instructions ("<!DOCTYPE …>", "<![endif]>",
    // "<?xml …?>"); a '<' not followed by a letter, '/', '!' or '?' is text.
    [GeneratedRegex(@"<(?<end>/)?(?<name>[a-zA-Z][\w:.-]*)(?<attrs>[^>]*)>|<[!?][^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][\w:.-]*)\s*=\s*(?:""(?<value>[^""]*)""|'(?<value>[^']*)'|(?<value>[^\s""'>]+))")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"[ \t\f\v\u00A0]+")]
    private static partial Regex Blanks();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();

    static readonly HashSet<string> BlockTags =
        ["br", "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "center", "dt", "dd"];

    /// <summary>The text of <paramref name="html"/>; with <paramref name="linkTargets"/> false, links, frames and
    /// image-map areas give only their text (image alt text stays).</summary>
    public static string ToText(string html, bool linkTargets = true)
    {
        ArgumentNullException.ThrowIfNull(html);
        // Source line breaks are layout, not text, in HTML: only block tags break lines.
        var s = html.Replace("\r\n", " ").Replace('\r', ' ').Replace('\n', ' ');
        s = Comment().Replace(s, " ");
        s = Invisible().Replace(s, " ");
        var writer = new Writer(linkTargets);
        int pos = 0;
        foreach (Match tag in Tag().Matches(s))
        {
            writer.Text(s[pos..tag.Index]);
            pos = tag.Index + tag.Length;
            if (!tag.Groups["name"].Success) continue;
            var name = tag.Groups["name"].Value.ToLowerInvariant();
            bool end = tag.Groups["end"].Success;
            var attrs = tag.Groups["attrs"].Value;
            if (BlockTags.Contains(name)) writer.Raw("\n");
            else if (name is "td" or "th" or "option") writer.Raw(" ");
            else if (name == "a")
            {
                writer.CloseLink();
                if (!end) writer.OpenLink(AttributeValue(attrs, "href"));
            }
            else if (name == "img" && !end) writer.Raw(" " + AttributeValue(attrs, "alt") + " ");
            else if (name == "area" && !end)
            {
                var alt = AttributeValue(attrs, "alt");
                writer.Raw(" " + alt);
                writer.Target(AttributeValue(attrs, "href"), alt);
            }
            else if (name is "iframe" or "frame" && !end) writer.Target(AttributeValue(attrs, "src"), "");
        }
        writer.Text(s[pos..]);
        writer.CloseLink();
        return Tidy(writer.ToString());
    }

    /// <summary>The entity-decoded value of attribute <paramref name="name"/>, or "" when absent.</summary>
    static string AttributeValue(string attrs, string name)
    {
        foreach (Match m in Attribute().Matches(attrs))
            if (m.Groups["name"].Value.Equals(name, StringComparison.OrdinalIgnoreCase))
                return WebUtility.HtmlDecode(m.Groups["value"].Value).Trim();
        return "";
    }

    /// <summary>A link target as shown: whitespace removed, query and fragment dropped (a mailto: keeps its address),
    /// percent-escaped printable ASCII decoded and user info before the host dropped; null for in-page, script and
    /// empty targets.</summary>
    internal static string? CompactTarget(string href)
    {
        var target = string.Concat(href.Where(c => !char.IsWhiteSpace(c)));
        if (target.Length == 0 || target[0] == '#') return null;
        if (target.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase) ||
            target.StartsWith("vbscript:", StringComparison.OrdinalIgnoreCase) ||
            target.StartsWith("data:", StringComparison.OrdinalIgnoreCase)) return null;
        int cut = target.IndexOfAny(['?', '#']);
        if (cut >= 0) target = target[..cut];
        target = PercentEscape().Replace(target, m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
        // "http://user@host/": what stands before '@' in the authority only disguises the host.
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            int hostStart = scheme + 3, pathStart = target.IndexOf('/', hostStart);
            int at = target.LastIndexOf('@', pathStart < 0 ? target.Length - 1 : pathStart - 1);
            if (at >= hostStart) target = target[..hostStart] + target[(at + 1)..];
        }
        return target.Length == 0 ? null : target;
    }

    // Percent-escapes of printable ASCII other than '%' itself ("%77%77%77" → "www"), a disguise of spam links.
    [GeneratedRegex(@"%(2[1-46-9A-Fa-f]|[3-6][0-9A-Fa-f]|7[0-9A-Ea-e])")]
    private static partial Regex PercentEscape();

    /// <summary>Whether <paramref name="text"/> already shows <paramref name="target"/> (ignoring case, the scheme,
    /// "www." and a trailing '/').</summary>
    static bool Shows(string text, string target)
    {
        static string Bare(string u)
        {
            u = u.ToLowerInvariant();
            foreach (var prefix in (string[])["mailto:", "http://", "https://", "ftp://", "www."])
                if (u.StartsWith(prefix, StringComparison.Ordinal)) u = u[prefix.Length..];
            return u.TrimEnd('/');
        }
        var bare = Bare(target);
        return bare.Length > 0 && text.Contains(bare, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Collects the text and places each link's target after its text.</summary>
    sealed class Writer(bool linkTargets)
    {
        readonly StringBuilder sb = new();
        string openHref = "";
        int openStart = -1;   // where the open link's text starts, or -1
        string? lastShown;

        bool afterTarget;   // a word right after a shown target gets a space: "<http://a/> more", "<http://a/> <http://b/>"

        // Entities are decoded per text segment, after tags are cut out, so "&lt;b&gt;" stays literal text.
        public void Text(string segment) => Raw(WebUtility.HtmlDecode(segment));

        public void Raw(string text)
        {
            if (text.Length == 0) return;
            if (afterTarget && !char.IsWhiteSpace(text[0]) && !char.IsPunctuation(text[0])) sb.Append(' ');
            afterTarget = false;
            sb.Append(text);
        }

        public void OpenLink(string href)
        {
            openHref = href;
            openStart = sb.Length;
        }

        public void CloseLink()
        {
            if (openStart < 0) return;
            var text = sb.ToString(openStart, sb.Length - openStart);
            openStart = -1;
            Target(openHref, text);
        }

        /// <summary>Shows the target of a link whose text was <paramref name="text"/>, unless hidden (see remarks).</summary>
        public void Target(string href, string text)
        {
            var target = CompactTarget(href);
            if (!linkTargets || target is null || target == lastShown) return;
            if (!Shows(text, target))
            {
                Raw(" <" + target + ">");
                afterTarget = true;
            }
            lastShown = target;
        }

        public override string ToString() => sb.ToString();
    }

    /// <summary>Collapses blanks, trims each line and keeps at most one empty line in a row.</summary>
    internal static string Tidy(string text)
    {
        var lines = Blanks().Replace(text.Replace("\r\n", "\n").Replace('\r', '\n'), " ").Split('\n').Select(l => l.Trim());
        return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim();
    }
}
