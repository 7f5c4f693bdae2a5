using System.Numerics;

namespace SharpAttention.Kernels.Losses;

/// <summary>
/// Negative log-likelihood over rows of log-probabilities (torch.nn.functional.nll_loss): loss = −w_t·x_t for each
/// row's target t; rows whose target is ignoreIndex give 0 and get gradient 0. A gather and a scatter, so this
/// kernel is its own reference. Targets must already be validated; an empty weight span means all ones.
/// </summary>
internal static class NllLossKernel
{
    // logProbs: (rows, classes) row-major
    // loss: (rows) per-row loss
    public static void Forward<T>(ReadOnlySpan<T> logProbs, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, Span<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < target.Length; r++)
        {
            long t = target[r];
            loss[r] = t == ignoreIndex ? T.Zero : -(weight.IsEmpty ? T.One : weight[(int)t]) * logProbs[r * classes + (int)t];
        }
    }

    // rowGrad: upstream gradient per row (rows), or one value for every row
    // dlogProbs: (rows, classes) gradient, overwritten
    public static void Backward<T>(int classes, ReadOnlySpan<long> target, long ignoreIndex, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> rowGrad, Span<T> dlogProbs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        dlogProbs.Clear();
        for (int r = 0; r < target.Length; r++)
        {
            long t = target[r];
            if (t == ignoreIndex) continue;
            T g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            dlogProbs[r * classes + (int)t] = -g * (weight.IsEmpty ? T.One : weight[(int)t]);
        }
    }
}
