using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

// Loss functions (torch.nn.functional.cross_entropy, nll_loss, binary_cross_entropy_with_logits).
public static partial class F
{
    /// <summary>
    /// Cross-entropy between unnormalised logits and class-index targets (torch.nn.functional.cross_entropy), computed
    /// by a fused log-softmax + NLL. Shapes: input (N, C) with target (N); input (N, C, d1, ..., dk) with target
    /// (N, d1, ..., dk) — the class dimension is 1; or input (C) with a 0-d target. Targets equal to
    /// <paramref name="ignoreIndex"/> contribute neither loss nor gradient and are left out of the mean.
    /// With label smoothing ε the loss is (1−ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c). With per-class
    /// <paramref name="weight"/> (C), the mean divides by the sum of the targets' weights; a mean over no
    /// non-ignored targets is NaN, as in PyTorch. <see cref="Reduction.None"/> returns losses of target's shape.
    /// </summary>
    /// <exception cref="ArgumentException">shapes or dtypes do not match, a target is outside [0, C) and not
    /// ignoreIndex, or labelSmoothing is outside [0, 1].</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
        double labelSmoothing = 0.0, Tensor? weight = null) =>
        Ops.CrossEntropy.Forward(input, target, ignoreIndex, reduction, labelSmoothing, weight);

    /// <summary>
    /// Negative log-likelihood of class-index targets given log-probabilities (torch.nn.functional.nll_loss):
    /// −w_t·input[t] along the class dimension 1, with the same shapes, ignoreIndex and mean rules as
    /// <see cref="CrossEntropy"/> (weights all 1 unless <paramref name="weight"/> (C) is given).
    /// </summary>
    public static Tensor NllLoss(Tensor logProbs, Tensor target, long ignoreIndex = -100, Reduction reduction = Reduction.Mean,
        Tensor? weight = null) =>
        Ops.NllLoss.Forward(logProbs, target, ignoreIndex, reduction, weight);

    /// <summary>
    /// Binary cross-entropy of logits against targets in [0, 1] of the same shape
    /// (torch.nn.functional.binary_cross_entropy_with_logits), in the overflow-free form
    /// max(x, 0) − x·t + log(1 + exp(−|x|)). Differentiable in both input and target.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Ops.BinaryCrossEntropyWithLogits.Forward(input, target, reduction);
}
