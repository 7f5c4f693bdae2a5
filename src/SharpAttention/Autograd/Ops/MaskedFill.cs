using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>x with value written where mask is true (torch.masked_fill); the mask broadcasts to x's shape (never
/// the other way). value may be ±∞ (attention masks use −∞). The gradient is zero at the filled positions.</summary>
internal static class MaskedFill
{
    public static Tensor Forward(Tensor x, Tensor mask, double value)
    {
        Where.RequireBool(mask, "masked_fill", "mask");
        if (!Broadcasts(mask.Shape, x.Shape))
            throw new ArgumentException(
                $"masked_fill: mask of shape {ShapeUtil.Format(mask.Shape)} cannot be broadcast to the input's shape {ShapeUtil.Format(x.Shape)}");
        if (x.DType == DType.Int64 && !DTypePromotion.IsInt64(value))
            throw new ArgumentException($"masked_fill: value {value} cannot be converted to int64 without overflow or rounding");
        var y = Where.Compute(mask, Tensor.Scalar(value, x.DType), x, x.ShapeArray);
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, mask));
        return y;
    }

    /// <summary>Whether <paramref name="from"/> broadcasts to exactly <paramref name="to"/>.</summary>
    static bool Broadcasts(ReadOnlySpan<int> from, ReadOnlySpan<int> to)
    {
        if (from.Length > to.Length) return false;
        int lead = to.Length - from.Length;
        for (int i = 0; i < from.Length; i++)
            if (from[i] != 1 && from[i] != to[lead + i]) return false;
        return true;
    }

    sealed class Backward(Tensor x, Tensor mask) : GradFn(x)
    {
        SavedTensor savedMask = new(mask);

        protected internal override Tensor?[] Apply(Tensor grad) =>
            [Where.Compute(savedMask.Get(), Tensor.Scalar(0, grad.DType), grad, grad.ShapeArray)];

        protected override void ReleaseSaved() => savedMask.Clear();
    }
}
