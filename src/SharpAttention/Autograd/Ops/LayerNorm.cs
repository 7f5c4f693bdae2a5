using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Layer normalisation over the trailing normalized_shape dims with optional elementwise affine weight and
/// bias (torch.nn.functional.layer_norm), as one fused op: forward saves the mean and rstd of each row, backward
/// gets dx, dweight and dbias in one pass over the rows (<see cref="LayerNormKernel"/>).</summary>
internal static class LayerNorm
{
    public static Tensor Forward(Tensor x, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps)
    {
        var (rows, n) = NormShape.Check("layer_norm", x, normalizedShape, weight, bias);
        var xc = NormShape.Raw(x);
        var w = weight is null ? null : NormShape.Raw(weight);
        var b = bias is null ? null : NormShape.Raw(bias);
        var y = Tensor.Empty(x.Shape, x.DType);
        var mean = Tensor.Empty([rows], x.DType);   // (rows,)
        var rstd = Tensor.Empty([rows], x.DType);   // (rows,)
        if (x.DType == DType.Float32)
            LayerNormKernel.Forward(y.Span<float>(), mean.Span<float>(), rstd.Span<float>(), xc.Span<float>(),
                                    SpanOf<float>(w), SpanOf<float>(b), n, eps);
        else
            LayerNormKernel.Forward(y.Span<double>(), mean.Span<double>(), rstd.Span<double>(), xc.Span<double>(),
                                    SpanOf<double>(w), SpanOf<double>(b), n, eps);
        if (Graph.NeedsGrad(x, weight, bias)) y.SetGradFn(new Backward(x, weight, bias, xc, w, mean, rstd, n));
        return y;
    }

    internal static ReadOnlySpan<T> SpanOf<T>(Tensor? t) => t is null ? default : t.Span<T>();

    sealed class Backward(Tensor x, Tensor? weight, Tensor? bias, Tensor xc, Tensor? w, Tensor mean, Tensor rstd, int n)
        : GradFn(x, weight, bias)
    {
        readonly int[] inputShape = x.ShapeArray;
        readonly int[]? weightShape = weight?.ShapeArray, biasShape = bias?.ShapeArray;
        readonly bool hasWeight = w != null;
        SavedTensor savedX = new(xc), savedMean = new(mean), savedRstd = new(rstd);
        SavedTensor savedWeight = w != null ? new(w) : default;

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var xs = savedX.Get();
            var ws = hasWeight ? savedWeight.Get() : null;
            var dy = NormShape.Raw(grad);
            var dx = NeedsGrad(0) ? Tensor.Empty(inputShape, xs.DType) : null;
            var dw = NeedsGrad(1) ? Tensor.Zeros(weightShape!, xs.DType) : null;
            var db = NeedsGrad(2) ? Tensor.Zeros(biasShape!, xs.DType) : null;
            if (xs.DType == DType.Float32)
                LayerNormKernel.Backward(OutSpan<float>(dx), OutSpan<float>(dw), OutSpan<float>(db), dy.Span<float>(), xs.Span<float>(),
                                         SpanOf<float>(ws), savedMean.Get().Span<float>(), savedRstd.Get().Span<float>(), n);
            else
                LayerNormKernel.Backward(OutSpan<double>(dx), OutSpan<double>(dw), OutSpan<double>(db), dy.Span<double>(), xs.Span<double>(),
                                         SpanOf<double>(ws), savedMean.Get().Span<double>(), savedRstd.Get().Span<double>(), n);
            return [dx, dw, db];
        }

        protected override void ReleaseSaved()
        {
            savedX.Clear();
            savedMean.ReleasePrivate();   // mean and rstd were made for this node alone
            savedRstd.ReleasePrivate();
            savedWeight.Clear();
        }
    }

    internal static Span<T> OutSpan<T>(Tensor? t) => t is null ? default : t.Span<T>();
}
