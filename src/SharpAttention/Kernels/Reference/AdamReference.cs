using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive twin of <see cref="Optim.AdamKernel"/>: torch.optim.Adam's single-tensor update written out one
/// element at a time, in the same operation order (the fast kernel must match it bit for bit).</summary>
internal static class AdamReference
{
    public static void Step<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> expAvg, Span<T> expAvgSq, Span<T> maxExpAvgSq,
                               double lr, double beta1, double beta2, double eps, double weightDecay, bool decoupled,
                               bool amsgrad, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T stepSize = T.CreateTruncating(lr / (1 - Math.Pow(beta1, step)));
        T sqrtBias2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, step)));
        T b1 = T.CreateTruncating(beta1), b2 = T.CreateTruncating(beta2);
        T oneMinusB1 = T.CreateTruncating(1 - beta1), oneMinusB2 = T.CreateTruncating(1 - beta2);
        T e = T.CreateTruncating(eps), wd = T.CreateTruncating(weightDecay);
        T decay = T.CreateTruncating(1 - lr * weightDecay);
        for (int i = 0; i < param.Length; i++)
        {
            T g = grad[i];
            if (decoupled) param[i] *= decay;
            else if (weightDecay != 0) g += wd * param[i];
            expAvg[i] = expAvg[i] * b1 + g * oneMinusB1;
            expAvgSq[i] = expAvgSq[i] * b2 + oneMinusB2 * (g * g);
            T second = expAvgSq[i];
            if (amsgrad)
            {
                maxExpAvgSq[i] = T.Max(maxExpAvgSq[i], second);
                second = maxExpAvgSq[i];
            }
            T denom = T.Sqrt(second) / sqrtBias2 + e;
            param[i] -= stepSize * (expAvg[i] / denom);
        }
    }
}
