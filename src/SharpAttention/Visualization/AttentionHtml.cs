using System.Globalization;
using System.Net;
using System.Text;

namespace SharpAttention.Visualization;

/// <summary>
/// Attention maps as one self-contained HTML page (no scripts, no external files): each map a table whose cells are
/// shaded by weight, with the exact value on hover — readable in any browser, diffable as text.
/// </summary>
public static class AttentionHtml
{
    public static string Render(string title, IReadOnlyList<AttentionMap> maps, string? subtitle = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n")
            .Append(".maps{display:flex;flex-wrap:wrap;gap:2em}\n")
            .Append("table{border-collapse:collapse;font-size:12px}\n")
            .Append("td,th{width:26px;height:22px;text-align:center;padding:0}\n")
            .Append("th{font-weight:600}th.row{text-align:right;padding-right:6px;width:auto}\n")
            .Append("caption{font-weight:600;padding-bottom:4px}\n</style></head><body>\n")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        if (subtitle != null) html.Append("<p>").Append(Encode(subtitle)).Append("</p>\n");
        html.Append("<div class=\"maps\">\n");
        foreach (var map in maps) AppendMap(html, map);
        html.Append("</div>\n</body></html>\n");
        return html.ToString();
    }

    static void AppendMap(StringBuilder html, AttentionMap map)
    {
        html.Append("<table><caption>").Append(Encode(map.Title)).Append("</caption>\n<tr><th></th>");
        foreach (var column in map.ColumnLabels) html.Append("<th>").Append(Encode(column)).Append("</th>");
        html.Append("</tr>\n");
        for (int i = 0; i < map.RowLabels.Count; i++)
        {
            html.Append("<tr><th class=\"row\">").Append(Encode(map.RowLabels[i])).Append("</th>");
            for (int j = 0; j < map.ColumnLabels.Count; j++)
            {
                double w = map.Weights[i, j];
                double shade = Math.Clamp(double.IsFinite(w) ? w : 0, 0, 1);
                string value = w.ToString("0.000", CultureInfo.InvariantCulture);
                html.Append("<td style=\"background:rgba(8,48,107,").Append(shade.ToString("0.###", CultureInfo.InvariantCulture))
                    .Append(")\" title=\"").Append(Encode(map.RowLabels[i])).Append(" → ").Append(Encode(map.ColumnLabels[j]))
                    .Append(": ").Append(value).Append("\"></td>");
            }
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    static string Encode(string text) => WebUtility.HtmlEncode(text);
}
