using SharpAttention.Autograd;
using SharpAttention.Tensors;

namespace SharpAttention.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).</summary>
public static class GradClip
{
    /// <summary>
    /// Scales every gradient by min(1, maxNorm / (total + 1e-6)), where total is the norm of all gradients
    /// taken together as one vector, and returns total (before clipping). normType is p ≥ 1 or
    /// <see cref="double.PositiveInfinity"/> for the max norm. Parameters without a gradient are skipped. A NaN
    /// or infinite total throws when <paramref name="errorIfNonfinite"/> is set; otherwise, as in torch, the
    /// gradients are scaled by it (and become NaN).
    /// </summary>
    public static double ClipGradNorm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2,
                                       bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType >= 1)) throw new ArgumentOutOfRangeException(nameof(normType), $"clip_grad_norm_: norm type {normType} must be ≥ 1 or infinity");
        var grads = new List<Tensor>();
        foreach (var p in parameters)
            if (p.Grad is { } g) grads.Add(g);
        if (grads.Count == 0) return 0;
        double total = TotalNorm(grads, normType);
        if (errorIfNonfinite && !double.IsFinite(total))
            throw new InvalidOperationException(
                $"clip_grad_norm_: the total norm of order {normType} of the gradients is {total}, so they cannot be clipped");
        double coef = Math.Min(1.0, maxNorm / (total + 1e-6));
        using (GradMode.NoGrad())
            foreach (var g in grads) g.Mul_(coef);
        return total;
    }

    /// <summary>The norm of all gradients taken together (what <see cref="ClipGradNorm_"/> returns), without clipping.</summary>
    public static double GradNorm(IEnumerable<Tensor> parameters, double normType = 2)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(normType >= 1)) throw new ArgumentOutOfRangeException(nameof(normType), $"grad_norm: norm type {normType} must be ≥ 1 or infinity");
        var grads = new List<Tensor>();
        foreach (var p in parameters)
            if (p.Grad is { } g) grads.Add(g);
        return grads.Count == 0 ? 0 : TotalNorm(grads, normType);
    }

    /// <summary>Clamps every gradient element into [−clipValue, clipValue].</summary>
    public static void ClipGradValue_(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0)) throw new ArgumentOutOfRangeException(nameof(clipValue), $"clip_grad_value_: clip value {clipValue} must be ≥ 0");
        using (GradMode.NoGrad())
            foreach (var p in parameters)
                if (p.Grad is { } g) g.CopyFrom_(g.Clamp(-clipValue, clipValue));
    }

    /// <summary>The p-norm of all gradients as one vector, accumulated in double.</summary>
    static double TotalNorm(List<Tensor> grads, double p)
    {
        double acc = 0;
        foreach (var g in grads)
        {
            var c = g.Contiguous();
            double norm = c.DType == DType.Float32 ? Norm<float>(c.Span<float>(), p) : Norm<double>(c.Span<double>(), p);
            acc = double.IsPositiveInfinity(p) ? Math.Max(acc, norm) : acc + Math.Pow(norm, p);
            if (double.IsNaN(norm)) acc = double.NaN;
        }
        return double.IsPositiveInfinity(p) ? acc : Math.Pow(acc, 1 / p);
    }

    static double Norm<T>(ReadOnlySpan<T> x, double p) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (p == 2) return Math.Sqrt(Kernels.ReduceKernel.SumOfSquares(x));   // SIMD blocks added in double
        double acc = 0;
        bool inf = double.IsPositiveInfinity(p);
        foreach (var v in x)
        {
            double a = Math.Abs(double.CreateTruncating(v));
            if (double.IsNaN(a)) return double.NaN;
            if (inf) acc = Math.Max(acc, a);
            else acc += Math.Pow(a, p);
        }
        return inf ? acc : Math.Pow(acc, 1 / p);
    }

}
