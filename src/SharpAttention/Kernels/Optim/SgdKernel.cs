using System.Numerics;

namespace SharpAttention.Kernels.Optim;

/// <summary>One SGD update over a flat parameter, in torch.optim.SGD's single-tensor operation order:
/// d = g (−g when maximizing) (+ wd·p); buf = d on the first step, else momentum·buf + (1 − dampening)·d; d = d + momentum·buf
/// (Nesterov) or buf; p −= lr·d.</summary>
internal static class SgdKernel
{
    public static void Step<T>(Span<T> param, ReadOnlySpan<T> grad, Span<T> momentumBuffer, double lr, double momentum,
                               double dampening, double weightDecay, bool nesterov, bool maximize, bool firstStep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateTruncating(weightDecay), mu = T.CreateTruncating(momentum);
        T keep = T.CreateTruncating(1 - dampening), rate = T.CreateTruncating(lr);
        for (int i = 0; i < param.Length; i++)
        {
            T d = maximize ? -grad[i] : grad[i];
            if (weightDecay != 0) d += wd * param[i];
            if (momentum != 0)
            {
                T buf = firstStep ? d : momentumBuffer[i] * mu + keep * d;
                momentumBuffer[i] = buf;
                d = nesterov ? d + mu * buf : buf;
            }
            param[i] -= rate * d;
        }
    }
}
