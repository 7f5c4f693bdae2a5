using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Element type conversion (torch.Tensor.to(dtype)); between float types the gradient is converted back.
/// Conversions to Int64 truncate toward zero and to Bool test for nonzero, as in PyTorch.</summary>
internal static class ToDType
{
    public static Tensor Forward(Tensor x, DType dtype)
    {
        var y = Tensor.Empty(x.Shape, dtype);
        var src = x.Contiguous();
        switch (x.DType, dtype)
        {
            case (DType.Float32, DType.Float64): Convert(src.Span<float>(), y.Span<double>(), v => v); break;
            case (DType.Float64, DType.Float32): Convert(src.Span<double>(), y.Span<float>(), v => (float)v); break;
            default:
                for (int i = 0; i < y.NumEl; i++) y.SetFlat(i, src.GetFlat(i));
                break;
        }
        if (Graph.NeedsGrad(x) && dtype.IsFloatingPoint()) y.SetGradFn(new Backward(x));
        return y;
    }

    static void Convert<TIn, TOut>(ReadOnlySpan<TIn> src, Span<TOut> dst, Func<TIn, TOut> f)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = f(src[i]);
    }

    sealed class Backward(Tensor x) : GradFn(x)
    {
        readonly DType dtype = x.DType;
        protected internal override Tensor?[] Apply(Tensor grad) => [grad.To(dtype)];
    }
}
