using SharpAttention.Tensors;

namespace SharpAttention.Tasks.Classification;

// Inspection: the pooling weights (Explain) together with every encoder layer's self-attention.
public sealed partial class TextClassifier
{
    /// <summary>
    /// <see cref="Explain"/> and, over the same tokens, each encoder layer's self-attention per head — (H, T, T), row
    /// = the attending token, column = the token attended to — captured during the same forward pass (the layers
    /// run their composed attention path meanwhile, which forms the weights).
    /// </summary>
    public (ClassExplanation Explanation, IReadOnlyList<Tensor> SelfAttention) ExplainWithSelfAttention(string text)
    {
        var attentions = Model.Backbone.Encoder.Layers.Select(l => l.SelfAttn).ToArray();
        try
        {
            foreach (var attention in attentions) attention.CaptureWeights = true;
            var explanation = Explain(text);
            return (explanation, [.. attentions.Select(a => a.CapturedWeights!.Select(0, 0))]);   // (1, H, T, T) → (H, T, T)
        }
        finally
        {
            foreach (var attention in attentions) attention.CaptureWeights = false;
        }
    }
}
