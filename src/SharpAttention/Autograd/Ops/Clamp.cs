using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>min(max(x, min), max) with either bound optional (torch.clamp); min &gt; max makes every element max.
/// The gradient passes where min ≤ x ≤ max (bounds inclusive, NaN excluded), as in PyTorch.</summary>
internal static class Clamp
{
    public static Tensor Forward(Tensor x, double? min, double? max)
    {
        Unary.RequireFloat(x, "clamp");
        if (min == null && max == null) throw new ArgumentException("clamp: at least one of min and max must be given");
        var src = x.IsContiguous ? x : x.CopyRaw();
        var y = Tensor.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Pointwise.Clamp(src.Span<float>(), (float?)min, (float?)max, y.Span<float>());
        else Pointwise.Clamp(src.Span<double>(), min, max, y.Span<double>());
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, min, max));
        return y;
    }

    sealed class Backward(Tensor x, double? min, double? max) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var x = savedX.Get();
            var inside = min is { } lo ? x.Ge(lo) : null;
            if (max is { } hi) inside = inside == null ? x.Le(hi) : inside.LogicalAnd(x.Le(hi));
            return [Tensor.Where(inside!, grad, 0.0)];
        }

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
