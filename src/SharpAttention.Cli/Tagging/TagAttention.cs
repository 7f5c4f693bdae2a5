using SharpAttention.Tasks.Tagging;
using SharpAttention.Tensors;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.Tagging;

/// <summary>What `attn attend` writes for a tagger: an HTML page with the sentence, each word shaded by the attention it
/// receives in the last layer (mean over heads and attending tokens), the tagged sentence as the heading, and every
/// layer's and head's self-attention; and a PNG beside it with the same per-layer, per-head heatmaps.</summary>
public static class TagAttention
{
    public static (string Html, TaggedAttention Attention, IReadOnlyList<AttentionMap> Maps) Render(SequenceTagger tagger, IReadOnlyList<string> words)
    {
        var attention = tagger.Attend(words);
        string text = string.Join(' ', words);
        var layers = attention.SelfAttention;
        int heads = layers[^1].Shape[0];
        var received = layers[^1].Mean(0).Mean(0).To(DType.Float64).ToDoubleArray();   // (H, T, T) → (T): attention each token receives
        var shaded = new List<ShadedToken>();
        int at = 0, word = 0;
        for (int k = 0; k < attention.Tokens.Count; k++)
        {
            if (word >= words.Count || attention.Tokens[k] != words[word] || k == 0 || k == attention.Tokens.Count - 1) continue;
            shaded.Add(new ShadedToken(words[word], at, at + words[word].Length, received[k]));
            at += words[word].Length + 1;
            word++;
        }
        var pictures = layers.SelectMany((layer, l) => Enumerable.Range(0, layer.Shape[0])
            .Select(h => AttentionMap.FromTensor($"layer {l + 1}, head {h + 1}", layer.Select(0, h), attention.Tokens, attention.Tokens))).ToArray();
        var maps = layers.Select((_, l) => pictures.Skip(l * heads).Take(heads).Select(m => m.Weights).ToArray()).ToArray();
        string title = string.Join(' ', words.Select((w, i) => $"{w}/{attention.Tags[i]}"));
        string subtitle = $"{attention.Tokens.Count} tokens, {layers.Count} layers × {heads} heads";
        var html = TextAttentionHtml.Render(title, subtitle, text, [new TextShading("Attention each word receives in the last layer (mean over heads and tokens)", shaded)],
            attention.Tokens, maps);
        return (html, attention, pictures);
    }
}
