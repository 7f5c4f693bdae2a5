using System.Numerics;

namespace SharpAttention.Kernels.Reference;

/// <summary>Naive scalar twins of the loss kernels in Kernels/Losses, written straight from the definitions
/// (log p_c = x_c − max − log Σ exp(x − max)), one element at a time: the test oracle.</summary>
internal static class LossReference
{
    public static void CrossEntropyForward<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, Span<T> loss, Span<T> lse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(classes);
        for (int r = 0; r < target.Length; r++)
        {
            long t = target[r];
            if (t == ignoreIndex)
            {
                loss[r] = T.Zero;
                lse[r] = T.Zero;
                continue;
            }
            var row = logits.Slice(r * classes, classes);
            T logSum = LogSumExp(row);
            lse[r] = logSum;
            T l = -(T.One - smoothing) * W(weight, (int)t) * (row[(int)t] - logSum);
            if (smoothing != T.Zero)
            {
                T s = T.Zero;
                for (int k = 0; k < classes; k++) s += W(weight, k) * (row[k] - logSum);
                l -= smoothing / c * s;
            }
            loss[r] = l;
        }
    }

    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, ReadOnlySpan<T> rowGrad, Span<T> dlogits) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(classes);
        T weightTotal = T.Zero;
        for (int k = 0; k < classes; k++) weightTotal += W(weight, k);
        for (int r = 0; r < target.Length; r++)
        {
            long t = target[r];
            T g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            var row = logits.Slice(r * classes, classes);
            T logSum = t == ignoreIndex ? T.Zero : LogSumExp(row);
            for (int k = 0; k < classes; k++)
            {
                if (t == ignoreIndex)
                {
                    dlogits[r * classes + k] = T.Zero;
                    continue;
                }
                T p = T.Exp(row[k] - logSum);
                T onehot = k == t ? T.One : T.Zero;
                T d = (T.One - smoothing) * W(weight, (int)t) * (p - onehot);
                if (smoothing != T.Zero) d += smoothing / c * (weightTotal * p - W(weight, k));
                dlogits[r * classes + k] = g * d;
            }
        }
    }

    public static void BceWithLogitsForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, Span<T> loss) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T negX = -x[i];
            T maxNegX = T.IsNaN(negX) || negX > T.Zero ? negX : T.Zero;
            loss[i] = (T.One - target[i]) * x[i] + maxNegX + T.Log(T.One + T.Exp(-T.Abs(x[i])));
        }
    }

    public static void BceWithLogitsBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> target, ReadOnlySpan<T> grad, Span<T> dx, Span<T> dt)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T g = grad.Length == 1 ? grad[0] : grad[i];
            dx[i] = (T.One / (T.One + T.Exp(-x[i])) - target[i]) * g;
            dt[i] = -x[i] * g;
        }
    }

    /// <summary>max + log Σ exp(x − max); NaN if any element is NaN.</summary>
    static T LogSumExp<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = row[0];
        foreach (T v in row)
            if (T.IsNaN(v) || v > max) max = v;
        if (T.IsNaN(max)) return max;
        T s = T.Zero;
        foreach (T v in row) s += T.Exp(v - max);
        return max + T.Log(s);
    }

    static T W<T>(ReadOnlySpan<T> weight, int k) where T : unmanaged, IFloatingPointIeee754<T> => weight.IsEmpty ? T.One : weight[k];
}
