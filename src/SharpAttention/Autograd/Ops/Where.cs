using SharpAttention.Kernels;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>condition ? a : b elementwise with three-way broadcasting (torch.where). The gradient of a is grad
/// where the condition holds and 0 elsewhere (b the reverse), each summed back to its input's shape.</summary>
internal static class Where
{
    public static Tensor Forward(Tensor condition, Tensor a, Tensor b)
    {
        RequireBool(condition, "where", "condition");
        var dtype = DTypePromotion.Common(a, b);
        a = a.To(dtype);
        b = b.To(dtype);
        int[] shape;
        try
        {
            shape = ShapeUtil.Broadcast(ShapeUtil.Broadcast(condition.Shape, a.Shape, "where"), b.Shape, "where");
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(
                $"where: condition {ShapeUtil.Format(condition.Shape)}, input {ShapeUtil.Format(a.Shape)} and other {ShapeUtil.Format(b.Shape)} cannot be broadcast to one shape");
        }
        var y = Compute(condition, a, b, shape);
        if (Graph.NeedsGrad(a, b)) y.SetGradFn(new Backward(condition, a, b));
        return y;
    }

    /// <summary>The select itself, no autograd: a and b share a dtype and all three broadcast to <paramref name="shape"/>.</summary>
    internal static Tensor Compute(Tensor condition, Tensor a, Tensor b, int[] shape)
    {
        var y = Tensor.Empty(shape, a.DType);
        var sc = Binary.BroadcastStrides(condition, shape);
        var sa = Binary.BroadcastStrides(a, shape);
        var sb = Binary.BroadcastStrides(b, shape);
        var c = condition.Storage.As<bool>();
        switch (a.DType)
        {
            case DType.Float32: Select.Where(c, condition.Offset, sc, a.Storage.As<float>(), a.Offset, sa, b.Storage.As<float>(), b.Offset, sb, y.Span<float>(), shape); break;
            case DType.Float64: Select.Where(c, condition.Offset, sc, a.Storage.As<double>(), a.Offset, sa, b.Storage.As<double>(), b.Offset, sb, y.Span<double>(), shape); break;
            case DType.Int64: Select.Where(c, condition.Offset, sc, a.Storage.As<long>(), a.Offset, sa, b.Storage.As<long>(), b.Offset, sb, y.Span<long>(), shape); break;
            default: Select.Where(c, condition.Offset, sc, a.Storage.As<bool>(), a.Offset, sa, b.Storage.As<bool>(), b.Offset, sb, y.Span<bool>(), shape); break;
        }
        return y;
    }

    internal static void RequireBool(Tensor t, string op, string what)
    {
        if (t.DType != DType.Bool)
            throw new ArgumentException($"{op}: {what} must be a bool tensor, got {t.DType.TorchName()} of shape {ShapeUtil.Format(t.Shape)}");
    }

    sealed class Backward(Tensor condition, Tensor a, Tensor b) : GradFn(a, b)
    {
        readonly int[] aShape = a.ShapeArray, bShape = b.ShapeArray;
        SavedTensor savedCondition = new(condition);

        protected internal override Tensor?[] Apply(Tensor grad)
        {
            var c = savedCondition.Get();
            var zero = Tensor.Scalar(0, grad.DType);
            return
            [
                NeedsGrad(0) ? Compute(c, grad, zero, grad.ShapeArray).SumToShape(aShape) : null,
                NeedsGrad(1) ? Compute(c, zero, grad, grad.ShapeArray).SumToShape(bShape) : null,
            ];
        }

        protected override void ReleaseSaved() => savedCondition.Clear();
    }
}
