using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>RMS normalisation over the trailing normalized_shape dims with an optional elementwise weight
/// (torch.nn.functional.rms_norm), as one fused op: forward saves rstd per row, backward gets dx and dweight in one
/// pass (<see cref="RmsNormKernel"/>). eps defaults to the dtype's machine epsilon, as torch's does.</summary>
internal static class RmsNorm
{
    public static Tensor Forward(Tensor x, int[] normalizedShape, Tensor? weight, double? eps)
    {
        var (rows, n) = NormShape.Check("rms_norm", x, normalizedShape, weight, null);
        // torch.finfo(dtype).eps: the gap between 1 and the next representable number (not .NET's Epsilon, which is
        // the smallest subnormal).
        double e = eps ?? (x.DType == DType.Float32 ? MathF.BitIncrement(1f) - 1f : Math.BitIncrement(1.0) - 1.0);
        var xc = NormShape.Raw(x);
        var w = weight is null ? null : NormShape.Raw(weight);
        var y = Tensor.Empty(x.Shape, x.DType);
        var rstd = Tensor.Empty([rows], x.DType);   // (rows,)
        if (x.DType == DType.Float32)
            RmsNormKernel.Forward(y.Span<float>(), rstd.Span<float>(), xc.Span<float>(), LayerNorm.SpanOf<float>(w), n, e);
        else
            RmsNormKernel.Forward(y.Span<double>(), rstd.Span<double>(), xc.Span<double>(), LayerNorm.SpanOf<double>(w), n, e);
        if (Graph.NeedsGrad(x, weight)) y.SetGradFn(new Backward(x, weight, xc, w, rstd, n));
        return y;
    }

    sealed class Backward(Tensor x, Tensor? weight, Tensor xc, Tensor? w, Tensor rstd, int n) : GradFn(x, weight)
    {
        readonly int[] inputShape = x.ShapeArray;
        readonly int[]? weightShape = weight?.ShapeArray;
        readonly bool hasWeight = w != null;
        SavedTensor savedX = new(xc), savedRstd = new(rstd);
        SavedTensor savedWeight = w != null ? new(w) : default;

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var xs = savedX.Get();
            var ws = hasWeight ? savedWeight.Get() : null;
            var dy = NormShape.Raw(grad);
            var dx = NeedsGrad(0) ? Tensor.Empty(inputShape, xs.DType) : null;
            var dw = NeedsGrad(1) ? Tensor.Zeros(weightShape!, xs.DType) : null;
            if (xs.DType == DType.Float32)
                RmsNormKernel.Backward(LayerNorm.OutSpan<float>(dx), LayerNorm.OutSpan<float>(dw), dy.Span<float>(), xs.Span<float>(),
                                       LayerNorm.SpanOf<float>(ws), savedRstd.Get().Span<float>(), n);
            else
                RmsNormKernel.Backward(LayerNorm.OutSpan<double>(dx), LayerNorm.OutSpan<double>(dw), dy.Span<double>(), xs.Span<double>(),
                                       LayerNorm.SpanOf<double>(ws), savedRstd.Get().Span<double>(), n);
            return [dx, dw];
        }

        protected override void ReleaseSaved()
        {
            savedX.Clear();
            savedRstd.ReleasePrivate();   // rstd was made for this node alone
            savedWeight.Clear();
        }
    }
}
