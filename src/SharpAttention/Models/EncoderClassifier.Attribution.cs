using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

// Token attribution by integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic Attribution for Deep
// Networks"; Captum's LayerIntegratedGradients on the embedding layer).
public sealed partial class EncoderClassifier
{
    /// <summary>
    /// Each token's part of the logit margin <paramref name="target"/> − <paramref name="reference"/> (a single class's
    /// logit when <paramref name="reference"/> is negative), by integrated gradients on the token embeddings: the
    /// embeddings x are scaled by α from 0 (the baseline: positions only, no token) to 1, and token t gets
    /// xₜ · mean over α of ∂margin/∂xₜ at α·x, with <paramref name="steps"/> midpoints α = (k + ½)/steps. By IG's
    /// completeness the parts sum to margin(x) − margin(baseline), up to the Riemann sum's error — unlike attention
    /// weights, which say where a layer read, not what moved the decision. Runs in eval mode (no dropout), all
    /// steps in one batch; parameters' gradients are left as they were.
    /// </summary>
    /// <param name="ids">Int64 (1, T) one text</param>
    /// <param name="target">the class whose logit the parts explain (usually the predicted one)</param>
    /// <param name="reference">the class it is weighed against (usually the runner-up), or −1: the target's logit alone</param>
    /// <param name="keyPaddingMask">(1, T) true at padding, or null</param>
    /// <param name="steps">points on the path from the baseline to the text</param>
    /// <returns>(T) per-token parts, 0 at padding</returns>
    public Tensor IntegratedGradients(Tensor ids, int target, int reference = -1, Tensor? keyPaddingMask = null, int steps = 16)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Dim != 2 || ids.Size(0) != 1) throw new ArgumentException($"integrated_gradients: ids must be (1, T), got {ShapeUtil.Format(ids.Shape)}");
        if (target < 0 || target >= NumClasses || reference >= NumClasses || reference == target)
            throw new ArgumentException($"integrated_gradients: target {target} and reference {reference} must be distinct classes of {NumClasses}");
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        keyPaddingMask ??= Backbone.PaddingMask(ids);
        int t = ids.Size(1);
        bool training = Training;
        var saved = Parameters().Select(p => p.Grad).ToArray();
        try
        {
            Eval();
            using var scope = TensorScope.Begin();
            // 1. The token embeddings as the encoder adds them (scaled when the config says so), without a graph.
            Tensor x;
            using (GradMode.NoGrad())
            {
                x = Backbone.TokenEmbedding.Forward(ids);                                    // (1, T, E)
                if (Backbone.Config.ScaleEmbeddings) x = x * Math.Sqrt(Backbone.Config.DModel);
            }
            // 2. One batch of the α-scaled inputs: the encoder adds `shift` = −(1 − α)·x to x, so it reads α·x, and
            //    ∂margin/∂shift is ∂margin/∂(α·x).
            var alphas = Tensor.FromArray(Enumerable.Range(0, steps).Select(k => (k + 0.5) / steps).ToArray(), steps, 1, 1).To(x.DType);
            var shift = ((alphas - 1) * x).Detach().RequiresGrad_();                         // (S, T, E)
            var batchIds = ids.Expand(steps, t).Contiguous();                                 // (S, T)
            var batchMask = keyPaddingMask?.Expand(steps, t).Contiguous();
            var h = Backbone.Forward(batchIds, batchMask, shift);                             // (S, T, E)
            var logits = Head.Forward(Pooler.Forward(h, batchMask));                          // (S, C)
            var margin = reference < 0 ? logits.Select(1, target) : logits.Select(1, target) - logits.Select(1, reference);
            margin.Sum().Backward();
            // 3. Mean gradient over the path times the input, summed over channels.
            var parts = (shift.Grad!.Mean(0) * x.Select(0, 0)).Sum(-1);                      // (T)
            if (keyPaddingMask is not null) parts = parts.MaskedFill(keyPaddingMask.Select(0, 0), 0);
            return scope.Keep(parts.Detach());
        }
        finally
        {
            int i = 0;
            foreach (var p in Parameters()) p.Grad = saved[i++];
            if (training) Train();
        }
    }
}
