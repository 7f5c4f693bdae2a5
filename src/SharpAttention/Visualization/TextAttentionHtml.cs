using System.Globalization;
using System.Net;
using System.Text;

namespace SharpAttention.Visualization;

/// <summary>One token of a text with its span in the original characters and a weight to shade it by.</summary>
public readonly record struct ShadedToken(string Token, int Start, int End, double Weight);

/// <summary>A named weighting of a text's tokens. Plain weights (attention) shade from the least (white) to the most
/// (dark blue); <paramref name="Signed"/> ones (evidence for and against) shade positive red and negative blue, both
/// scaled by the largest magnitude, zero white.</summary>
public sealed record TextShading(string Name, IReadOnlyList<ShadedToken> Tokens, bool Signed = false);

/// <summary>
/// "Which words did the model look at" as one self-contained HTML page: the original text with each token's
/// characters shaded by a weight (one or more rows of weights, e.g. a classifier's evidence per token, its pooling
/// attention and its last layer's attention from [CLS]), characters no token covers (cut by truncation) greyed, the
/// top tokens of the first shading listed, and
/// per-layer/head self-attention heatmaps drawn on canvases (a few lines of script; the exact weight on hover).
/// </summary>
public static class TextAttentionHtml
{
    /// <param name="title">the page's heading (e.g. the prediction)</param>
    /// <param name="subtitle">a line under the heading (null: none)</param>
    /// <param name="text">the original text the tokens' spans index</param>
    /// <param name="shadings">named weightings of the tokens, shaded in turn (each on its own scale)</param>
    /// <param name="tokens">token labels of the heatmaps' rows and columns</param>
    /// <param name="heatmaps">per layer, per head, (T, T) weights</param>
    public static string Render(string title, string? subtitle, string text, IReadOnlyList<TextShading> shadings,
                                IReadOnlyList<string> tokens, IReadOnlyList<double[][,]> heatmaps)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(shadings);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>\n")
            .Append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}\n")
            .Append(".text{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px;line-height:1.6;border:1px solid #ddd;padding:.8em;max-height:32em;overflow:auto}\n")
            .Append(".cut{color:#aaa;font-style:italic}\n")
            .Append(".maps{display:flex;flex-wrap:wrap;gap:1.2em}.map{font-size:12px}\n")
            .Append("table.top{border-collapse:collapse;font-size:13px}table.top td{padding:2px 10px;border-bottom:1px solid #eee}\n")
            .Append("#tip{position:fixed;background:#fff;border:1px solid #888;padding:2px 6px;font-size:12px;display:none;pointer-events:none}\n</style></head><body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n");
        if (subtitle != null) html.Append("<p>").Append(E(subtitle)).Append("</p>\n");
        foreach (var (name, weighted, signed) in shadings)
        {
            double min = weighted.Count > 0 ? weighted.Min(t => t.Weight) : 0, max = weighted.Count > 0 ? weighted.Max(t => t.Weight) : 0;
            html.Append("<h2>").Append(E(name)).Append("</h2>\n<p>");
            if (signed)
                html.Append("Red: for (most ").Append(F(max, 4)).Append("), blue: against (most ").Append(F(min, 4))
                    .Append("), white: neither; both on the scale of the largest magnitude. Hover for each token's value.</p>\n<div class=\"text\">");
            else
                html.Append("White: the token with the least weight (").Append(F(min, 4)).Append("), darkest: the most (")
                    .Append(F(max, 4)).Append("). Hover for each token's weight.</p>\n<div class=\"text\">");
            AppendShaded(html, text, weighted, signed);
            html.Append("</div>\n");
        }
        if (shadings.Count > 0) AppendTop(html, shadings[0]);
        if (heatmaps.Count > 0)
        {
            html.Append("<h2>Self-attention, every layer and head</h2>\n<p>Row: the token attending; column: the token attended to; ")
                .Append("darker = more weight (each map on its own scale). Hover for the tokens and the weight.</p>\n");
            for (int layer = 0; layer < heatmaps.Count; layer++)
            {
                html.Append("<h3>layer ").Append(layer + 1).Append("</h3>\n<div class=\"maps\">\n");
                for (int head = 0; head < heatmaps[layer].Length; head++)
                    html.Append("<div class=\"map\">head ").Append(head + 1).Append("<br><canvas data-map=\"").Append(layer).Append(',').Append(head).Append("\"></canvas></div>\n");
                html.Append("</div>\n");
            }
            AppendScript(html, tokens, heatmaps);
        }
        html.Append("<div id=\"tip\"></div>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>The text with each character shaded by the weight of the token covering it (the last one, where a
    /// multi-byte character's bytes went to two tokens); uncovered characters inside the read span are the ones
    /// truncation cut.</summary>
    static void AppendShaded(StringBuilder html, string text, IReadOnlyList<ShadedToken> tokens, bool signed)
    {
        var owner = new int[text.Length];
        Array.Fill(owner, -1);
        // Plain weights shade from the least weighted token (white) to the most weighted (dark): weights near uniform
        // still show their order. Signed ones keep zero white, so "for" and "against" read at a glance. The page states
        // each scale.
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        for (int k = 0; k < tokens.Count; k++)
        {
            var t = tokens[k];
            max = Math.Max(max, t.Weight);
            min = Math.Min(min, t.Weight);
            for (int i = Math.Max(0, t.Start); i < Math.Min(text.Length, t.End); i++) owner[i] = k;
        }
        for (int i = 0; i < text.Length;)
        {
            int k = owner[i], j = i;
            while (j < text.Length && owner[j] == k) j++;
            string piece = text[i..j];
            if (k < 0)
                html.Append("<span class=\"cut\" title=\"not read: cut by truncation\">").Append(E(piece.Length > 400 ? piece[..200] + " … " + piece[^200..] : piece)).Append("</span>");
            else
            {
                double w = tokens[k].Weight, scale = Math.Max(Math.Abs(max), Math.Abs(min));
                double a = signed ? (scale > 0 ? Math.Abs(w) / scale : 0) : max > min ? (w - min) / (max - min) : 0;
                string rgb = signed && w > 0 ? "165,15,21" : "8,48,107";
                html.Append("<span style=\"background:rgba(").Append(rgb).Append(',').Append(F(a, 3)).Append(");color:").Append(a > 0.55 ? "#fff" : "#222")
                    .Append("\" title=\"").Append(E(tokens[k].Token)).Append(": ").Append(F(tokens[k].Weight, 4)).Append("\">").Append(E(piece)).Append("</span>");
            }
            i = j;
        }
    }

    static void AppendTop(StringBuilder html, TextShading shading)
    {
        html.Append("<h2>The 15 tokens with the most ").Append(shading.Signed ? "evidence for" : "weight").Append(" (").Append(E(shading.Name))
            .Append(")</h2>\n<table class=\"top\">\n");
        foreach (var t in shading.Tokens.Where(t => t.End > t.Start).OrderByDescending(t => t.Weight).Take(15))
            html.Append("<tr><td>").Append(E(t.Token)).Append("</td><td>").Append(F(t.Weight, 4)).Append("</td></tr>\n");
        html.Append("</table>\n");
    }

    static void AppendScript(StringBuilder html, IReadOnlyList<string> tokens, IReadOnlyList<double[][,]> heatmaps)
    {
        html.Append("<script>\nconst tokens=[").Append(string.Join(",", tokens.Select(Js))).Append("];\nconst maps=[");
        for (int layer = 0; layer < heatmaps.Count; layer++)
        {
            html.Append(layer > 0 ? ",[" : "[");
            for (int head = 0; head < heatmaps[layer].Length; head++)
            {
                var w = heatmaps[layer][head];
                html.Append(head > 0 ? ",[" : "[");
                for (int r = 0; r < w.GetLength(0); r++)
                {
                    html.Append(r > 0 ? ",[" : "[");
                    for (int c = 0; c < w.GetLength(1); c++) html.Append(c > 0 ? "," : "").Append(F(w[r, c], 4));
                    html.Append(']');
                }
                html.Append(']');
            }
            html.Append(']');
        }
        html.Append("];\n")
            .Append("const n=tokens.length, cell=Math.max(1,Math.min(20,Math.floor(360/n))), tip=document.getElementById('tip');\n")
            .Append("for(const cv of document.querySelectorAll('canvas[data-map]')){const [l,h]=cv.dataset.map.split(',').map(Number);const w=maps[l][h];\n")
            .Append(" cv.width=cv.height=n*cell;const g=cv.getContext('2d');let m=0;for(const r of w)for(const v of r)m=Math.max(m,v);\n")
            .Append(" for(let i=0;i<n;i++)for(let j=0;j<n;j++){g.fillStyle=`rgba(8,48,107,${m>0?w[i][j]/m:0})`;g.fillRect(j*cell,i*cell,cell,cell);}\n")
            .Append(" cv.onmousemove=e=>{const b=cv.getBoundingClientRect();const i=Math.floor((e.clientY-b.top)/cell),j=Math.floor((e.clientX-b.left)/cell);\n")
            .Append("  if(i<0||j<0||i>=n||j>=n)return;tip.style.display='block';tip.style.left=(e.clientX+12)+'px';tip.style.top=(e.clientY+12)+'px';\n")
            .Append("  tip.textContent=`${tokens[i]} → ${tokens[j]}: ${w[i][j].toFixed(4)}`;};cv.onmouseleave=()=>tip.style.display='none';}\n</script>\n");
    }

    static string E(string s) => WebUtility.HtmlEncode(s);
    static string F(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits).ToString(CultureInfo.InvariantCulture) : "0";

    /// <summary>A JavaScript string literal (JSON's escaping, which also escapes &lt; so no text can close the script).</summary>
    static string Js(string s) => System.Text.Json.JsonSerializer.Serialize(s, new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Default });
}
