using SharpAttention.Kernels;

namespace SharpAttention.Tensors;

// Comparisons and logic (torch.eq/ne/lt/le/gt/ge, logical_not/and/or, any, all). Results are Bool tensors with no
// gradient. Operands broadcast; mixed dtypes are compared in the promoted dtype (float64 > float32 > int64 > bool).
// Comparisons follow IEEE: anything compared with NaN is false except Ne, which is true.
public sealed partial class Tensor
{
    /// <summary>this == other elementwise (torch.eq).</summary>
    public Tensor Eq(Tensor other) => Compare<EqOp<float>, EqOp<double>, EqOp<long>>(other, "eq");

    /// <summary>this != other elementwise (torch.ne).</summary>
    public Tensor Ne(Tensor other) => Compare<NeOp<float>, NeOp<double>, NeOp<long>>(other, "ne");

    /// <summary>this &lt; other elementwise (torch.lt).</summary>
    public Tensor Lt(Tensor other) => Compare<LtOp<float>, LtOp<double>, LtOp<long>>(other, "lt");

    /// <summary>this ≤ other elementwise (torch.le).</summary>
    public Tensor Le(Tensor other) => Compare<LeOp<float>, LeOp<double>, LeOp<long>>(other, "le");

    /// <summary>this &gt; other elementwise (torch.gt).</summary>
    public Tensor Gt(Tensor other) => Compare<GtOp<float>, GtOp<double>, GtOp<long>>(other, "gt");

    /// <summary>this ≥ other elementwise (torch.ge).</summary>
    public Tensor Ge(Tensor other) => Compare<GeOp<float>, GeOp<double>, GeOp<long>>(other, "ge");

    /// <summary>this == value elementwise; on a float tensor the value is rounded to its dtype first, as in PyTorch.</summary>
    public Tensor Eq(double value) => Eq(CompareScalar(value));

    /// <summary>this != value elementwise.</summary>
    public Tensor Ne(double value) => Ne(CompareScalar(value));

    /// <summary>this &lt; value elementwise.</summary>
    public Tensor Lt(double value) => Lt(CompareScalar(value));

    /// <summary>this ≤ value elementwise.</summary>
    public Tensor Le(double value) => Le(CompareScalar(value));

    /// <summary>this &gt; value elementwise.</summary>
    public Tensor Gt(double value) => Gt(CompareScalar(value));

    /// <summary>this ≥ value elementwise.</summary>
    public Tensor Ge(double value) => Ge(CompareScalar(value));

    /// <summary>Elementwise not (torch.logical_not); a non-bool tensor counts nonzero (and NaN) as true.</summary>
    public Tensor LogicalNot()
    {
        var x = AsBool();
        var y = Empty(Shape, DType.Bool);
        Predicate.Not(x.Span<bool>(), y.Span<bool>());
        return y;
    }

    /// <summary>Elementwise and with broadcasting (torch.logical_and).</summary>
    public Tensor LogicalAnd(Tensor other) => Logical<AndOp>(other, "logical_and");

    /// <summary>Elementwise or with broadcasting (torch.logical_or).</summary>
    public Tensor LogicalOr(Tensor other) => Logical<OrOp>(other, "logical_or");

    /// <summary>Whether any element is true (nonzero), as a 0-d bool tensor (torch.any); false when empty.</summary>
    public Tensor Any() => Scalar(AsBool().Span<bool>().Contains(true) ? 1 : 0, DType.Bool);

    /// <summary>Whether every element is true (nonzero), as a 0-d bool tensor (torch.all); true when empty.</summary>
    public Tensor All() => Scalar(AsBool().Span<bool>().Contains(false) ? 0 : 1, DType.Bool);

    /// <summary>A contiguous bool tensor with the same values (nonzero → true), detached from autograd.</summary>
    Tensor AsBool()
    {
        var x = Detach().To(DType.Bool);
        return x.IsContiguous ? x : x.CopyRaw();
    }

    /// <summary>A 0-d operand for a scalar comparison: this tensor's dtype when it is floating point, Int64 for an
    /// integral value, else Float64 so that an integer tensor compares exactly against a fractional value.</summary>
    Tensor CompareScalar(double value) => Scalar(value, DTypePromotion.ForScalar(value, DType, DType.Float64));

    Tensor Compare<TF, TD, TL>(Tensor other, string op)
        where TF : IPredicate<float> where TD : IPredicate<double> where TL : IPredicate<long>
    {
        // Bools compare as 0/1 integers.
        var dtype = DTypePromotion.Common(this, other);
        if (dtype == DType.Bool) dtype = DType.Int64;
        var a = Detach().To(dtype);
        var b = other.Detach().To(dtype);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op);
        var y = Empty(shape, DType.Bool);
        var sa = Autograd.Ops.Binary.BroadcastStrides(a, shape);
        var sb = Autograd.Ops.Binary.BroadcastStrides(b, shape);
        switch (dtype)
        {
            case DType.Float32: Predicate.Broadcast<TF, float>(a.Storage.As<float>(), a.Offset, sa, b.Storage.As<float>(), b.Offset, sb, y.Span<bool>(), shape); break;
            case DType.Float64: Predicate.Broadcast<TD, double>(a.Storage.As<double>(), a.Offset, sa, b.Storage.As<double>(), b.Offset, sb, y.Span<bool>(), shape); break;
            default: Predicate.Broadcast<TL, long>(a.Storage.As<long>(), a.Offset, sa, b.Storage.As<long>(), b.Offset, sb, y.Span<bool>(), shape); break;
        }
        return y;
    }

    Tensor Logical<TOp>(Tensor other, string op) where TOp : IPredicate<bool>
    {
        var a = Detach().To(DType.Bool);
        var b = other.Detach().To(DType.Bool);
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op);
        var y = Empty(shape, DType.Bool);
        var sa = Autograd.Ops.Binary.BroadcastStrides(a, shape);
        var sb = Autograd.Ops.Binary.BroadcastStrides(b, shape);
        Predicate.Broadcast<TOp, bool>(a.Storage.As<bool>(), a.Offset, sa, b.Storage.As<bool>(), b.Offset, sb, y.Span<bool>(), shape);
        return y;
    }
}
