using SharpAttention.Tasks.LanguageModeling;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.LanguageModeling;

/// <summary>The page `attn attend` writes for a language model: the causal self-attention of every layer and head over
/// the text's tokens (row = the token predicting the next one, column = the token it reads; nothing right of the
/// diagonal), then their average.</summary>
public static class LmAttention
{
    public static (string Html, int Tokens) Render(LanguageModel lm, string text)
    {
        var (tokens, layers) = lm.SelfAttention(text);
        var labels = tokens.Select(t => t.Replace("\n", "\\n")).ToArray();
        var maps = new List<AttentionMap>();
        for (int layer = 0; layer < layers.Count; layer++)
            for (int head = 0; head < layers[layer].Shape[0]; head++)
                maps.Add(AttentionMap.FromTensor($"layer {layer + 1} head {head + 1}", layers[layer].Select(0, head), labels, labels));
        maps.Add(AttentionMap.Average("average of all heads and layers", maps));
        string subtitle = $"{tokens.Count} tokens, {layers.Count} layers × {layers[0].Shape[0]} heads; row: the position predicting the next token, column: the token it attends to";
        return (AttentionHtml.Render($"Causal self-attention: {Contract.Shown.Shorten(text, 60)}", maps, subtitle), tokens.Count);
    }
}
