using SharpAttention.Tasks.Classification;
using SharpAttention.Tensors;
using SharpAttention.Visualization;

namespace SharpAttention.Cli.Classification;

/// <summary>The page `attn attend` writes for a classifier: the text shaded by each token's evidence for the predicted
/// label against the runner-up (integrated gradients), by the pooling weights (attention pooling: the
/// learned query's softmax; mean: uniform; max: each token's share of the channels it wins) and by the last layer's
/// attention from &lt;s&gt; (averaged over heads), then every layer's and head's self-attention.</summary>
public static class ClassifyAttention
{
    public static (string Html, ClassExplanation Explanation) Render(TextClassifier classifier, string text)
    {
        var (explanation, layers) = classifier.ExplainWithSelfAttention(text);
        var tokens = explanation.Tokens;
        var evidence = tokens.Select(t => new ShadedToken(t.Token, t.Start, t.End, t.Evidence)).ToArray();
        var pooling = tokens.Select(t => new ShadedToken(t.Token, t.Start, t.End, t.Weight)).ToArray();
        var last = layers[^1];                                                          // (H, T, T)
        int heads = last.Shape[0];
        var fromCls = last.Select(1, 0).Mean(0).To(DType.Float64).ToDoubleArray();    // row 0 = <s>, mean over heads: (T)
        var cls = tokens.Select((t, i) => new ShadedToken(t.Token, t.Start, t.End, fromCls[i])).ToArray();
        var maps = layers.Select(layer => Enumerable.Range(0, layer.Shape[0]).Select(h => Matrix(layer.Select(0, h))).ToArray()).ToArray();
        var p = explanation.Prediction;
        string title = $"{p.Label} ({p.Probabilities[p.Label] * 100:F2}%)";
        string subtitle = string.Join(", ", p.Probabilities.Select(kv => $"{kv.Key} {kv.Value * 100:F2}%")) +
                          (classifier.Threshold is double cut ? $" — {classifier.Labels[1]} from {cut * 100:F2}% (the model's decision threshold)" : "") +
                          $" — {tokens.Count} tokens, {classifier.Model.Pooling.ToString().ToLowerInvariant()} pooling, {layers.Count} layers × {heads} heads" +
                          (classifier.Members.Count > 0 ? $" — an ensemble of {classifier.Members.Count}: evidence and pooling weights averaged over its members " +
                              $"per character, shown on {TextClassifier.MemberFolder(0)}'s tokens; the attention is {TextClassifier.MemberFolder(0)}'s" : "");
        string poolingName = $"Pooling weights ({classifier.Model.Pooling.ToString().ToLowerInvariant()} pooling): each token's share in the vector the classifier reads";
        string evidenceName = explanation.Against is { } against
            ? $"Evidence for {p.Label} against {against} (integrated gradients): each token's part of the logit margin over a text of no tokens"
            : $"Evidence for {p.Label} (integrated gradients): each token's part of its logit over a text of no tokens";
        var html = TextAttentionHtml.Render(title, subtitle, text,
            [new(evidenceName, evidence, Signed: true), new(poolingName, pooling), new("Last layer's attention from <s> (mean over heads)", cls)],
            [.. tokens.Select(t => t.Token)], maps);
        return (html, explanation);
    }

    static double[,] Matrix(Tensor weights)                                            // (T, T)
    {
        int t = weights.Shape[0], s = weights.Shape[1];
        var flat = weights.To(DType.Float64).ToDoubleArray();
        var m = new double[t, s];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < s; j++) m[i, j] = flat[i * s + j];
        return m;
    }
}
