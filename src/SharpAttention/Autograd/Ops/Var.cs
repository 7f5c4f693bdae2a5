using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Variance over a set of dims (torch.var with correction; empty dims = all): one fused two-pass kernel
/// (mean, then squared deviations, accumulated in double) that also keeps the means for backward.
/// Forward divides by max(0, N − correction) and backward scales by 2/(N − correction), both as torch does, so
/// N ≤ correction gives inf/NaN rather than an error. d var/dx = 2(x − mean)/(N − correction).</summary>
internal static class Var
{
    public static Tensor Forward(Tensor x, int[] dims, int correction, bool keepdim)
    {
        Unary.RequireFloat(x, "var");
        var layout = ReduceLayout.Create(x.Shape, dims, keepdim, "var");
        var rows = layout.ToRows(x);
        var y = Tensor.Empty(layout.OutputShape, x.DType);
        var mean = Tensor.Empty(layout.KeepShape, x.DType);
        if (x.DType == DType.Float32)
            ReduceKernel.VarRows(y.Span<float>(), mean.Span<float>(), rows.Span<float>(), layout.RowLength, correction);
        else
            ReduceKernel.VarRows(y.Span<double>(), mean.Span<double>(), rows.Span<double>(), layout.RowLength, correction);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, mean, layout, correction));
        return y;
    }

    sealed class Backward(Tensor x, Tensor mean, ReduceLayout layout, int correction) : GradFn(x)
    {
        SavedTensor savedX = new(x), savedMean = new(mean);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            // (B..., 1...) scale per reduced group, broadcast against x − mean of the input shape.
            var scale = grad.Reshape(layout.KeepShape).Mul(2.0 / ((double)layout.RowLength - correction));
            return [savedX.Get().Sub(savedMean.Get()).Mul(scale)];
        }

        protected override void ReleaseSaved()
        {
            savedX.Clear();
            savedMean.Clear();
        }
    }
}
