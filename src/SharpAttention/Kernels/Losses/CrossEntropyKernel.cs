using System.Numerics;
using System.Numerics.Tensors;
using SharpAttention.Kernels.Simd;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Losses;

/// <summary>
/// Fused log-softmax + negative log-likelihood over rows of logits (torch.nn.functional.cross_entropy with
/// class-index targets, optional per-class weights w and label smoothing ε). Per row with target t, C classes,
/// W = Σ_c w_c and log p_c = x_c − logsumexp(x):
///   loss = −(1−ε)·w_t·log p_t − (ε/C)·Σ_c w_c·log p_c,
///   dloss/dx_c = (1−ε)·w_t·(p_c − [c=t]) + (ε/C)·(W·p_c − w_c).
/// Forward keeps only each row's logsumexp; backward recomputes p from the logits, so no (rows, C) probability
/// tensor is kept between the passes. Rows whose target is ignoreIndex get loss 0 and gradient 0 and are not read.
/// Targets must already be validated (0 ≤ t &lt; C). An empty weight span means every weight is 1.
/// Rows are independent and shared over the thread team, so results are the same for any thread count.
/// </summary>
internal static class CrossEntropyKernel
{
    const int Chunk = 256;

    // logits: (rows, classes) row-major
    // target: (rows) class indices or ignoreIndex
    // weight: (classes) or empty
    // loss: (rows) per-row loss
    // lse: (rows) per-row logsumexp, saved for Backward
    public static void Forward<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, Span<T> loss, Span<T> lse) where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelFor.For(target.Length, (long)classes * 16, new ForwardBody<T>(logits, classes, target, ignoreIndex, weight, smoothing, loss, lse));

    // rowGrad: upstream gradient per row (rows), or one value for every row
    // dlogits: (rows, classes) gradient, overwritten
    public static void Backward<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, ReadOnlySpan<T> lse, ReadOnlySpan<T> rowGrad, Span<T> dlogits)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ParallelFor.For(target.Length, (long)classes * 16, new BackwardBody<T>(logits, classes, target, ignoreIndex, weight, smoothing, lse, rowGrad, dlogits));

    readonly ref struct ForwardBody<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, Span<T> loss, Span<T> lse) : IRangeBody where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> logits = logits, weight = weight;
        readonly ReadOnlySpan<long> target = target;
        readonly Span<T> loss = loss, lse = lse;

        public void Run(int lo, int hi) =>
            ForwardRows(logits.Slice(lo * classes, (hi - lo) * classes), classes, target[lo..hi], ignoreIndex, weight, smoothing, loss[lo..hi], lse[lo..hi]);
    }

    readonly ref struct BackwardBody<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, ReadOnlySpan<T> lse, ReadOnlySpan<T> rowGrad, Span<T> dlogits) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> logits = logits, weight = weight, lse = lse, rowGrad = rowGrad;
        readonly ReadOnlySpan<long> target = target;
        readonly Span<T> dlogits = dlogits;

        public void Run(int lo, int hi) =>
            BackwardRows(logits.Slice(lo * classes, (hi - lo) * classes), classes, target[lo..hi], ignoreIndex, weight, smoothing, lse[lo..hi],
                         rowGrad.Length == 1 ? rowGrad : rowGrad[lo..hi], dlogits.Slice(lo * classes, (hi - lo) * classes));
    }

    static void ForwardRows<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, Span<T> loss, Span<T> lse) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(classes);
        T weightTotal = weight.IsEmpty ? c : TensorPrimitives.Sum(weight);
        bool smooth = smoothing != T.Zero;
        Span<T> buf = stackalloc T[Chunk];
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
            T max = TensorPrimitives.Max(row);   // NaN if any logit is NaN
            T sumExp = T.Zero, shiftedSum = T.Zero;
            for (int k = 0; k < classes; k += Chunk)
            {
                int n = Math.Min(Chunk, classes - k);
                var b = buf[..n];
                TensorPrimitives.Subtract(row.Slice(k, n), max, b);   // ≤ 0, so exp cannot overflow
                // Σ w_c·(x_c − max) is needed for smoothing; summing the shifted values (all ≤ 0) rather than
                // C·lse − Σ x_c avoids cancellation when logits are large.
                if (smooth) shiftedSum += weight.IsEmpty ? TensorPrimitives.Sum<T>(b) : TensorPrimitives.Dot<T>(weight.Slice(k, n), b);
                TensorPrimitives.Exp<T>(b, b);
                sumExp += TensorPrimitives.Sum<T>(b);
            }
            T logSum = T.Log(sumExp);            // ≥ 0: the max term contributes exp(0) = 1
            lse[r] = max + logSum;
            T wt = weight.IsEmpty ? T.One : weight[(int)t];
            T l = wt * (logSum - (row[(int)t] - max));                                  // w_t·(−log p_t)
            if (smooth) l = (T.One - smoothing) * l + smoothing / c * (weightTotal * logSum - shiftedSum);
            loss[r] = l;
        }
    }

    static void BackwardRows<T>(ReadOnlySpan<T> logits, int classes, ReadOnlySpan<long> target, long ignoreIndex,
        ReadOnlySpan<T> weight, T smoothing, ReadOnlySpan<T> lse, ReadOnlySpan<T> rowGrad, Span<T> dlogits)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T c = T.CreateChecked(classes);
        T weightTotal = weight.IsEmpty ? c : TensorPrimitives.Sum(weight);
        T keep = T.One - smoothing;
        for (int r = 0; r < target.Length; r++)
        {
            var d = dlogits.Slice(r * classes, classes);
            long t = target[r];
            if (t == ignoreIndex)
            {
                d.Clear();
                continue;
            }
            T g = rowGrad.Length == 1 ? rowGrad[0] : rowGrad[r];
            T wt = weight.IsEmpty ? T.One : weight[(int)t];
            // d = g·[(1−ε)·w_t + ε·W/C]·p − g·(ε/C)·w − g·(1−ε)·w_t·onehot(t), p = exp(x − lse): the first term in one pass
            T a = g * (keep * wt + smoothing * weightTotal / c);
            T b = -g * smoothing / c;
            var exp = new ExpShifted<T>(logits.Slice(r * classes, classes), lse[r], a, d);
            SimdLoop.Map<ExpShifted<T>, T>(ref exp, 0, classes);
            if (smoothing != T.Zero)
            {
                if (weight.IsEmpty) TensorPrimitives.Add<T>(d, b, d);
                else TensorPrimitives.MultiplyAdd<T>(weight, b, d, d);
            }
            d[(int)t] -= g * keep * wt;
        }
    }
}
