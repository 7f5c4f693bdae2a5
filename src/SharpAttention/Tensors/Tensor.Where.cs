using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Selecting by a bool mask (torch.where, masked_fill): the building blocks of attention masks.
public sealed partial class Tensor
{
    /// <summary>This tensor with <paramref name="value"/> where <paramref name="mask"/> (bool, broadcastable to this
    /// tensor's shape) is true (torch.masked_fill). value may be −∞. The gradient is zero at filled positions.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Ops.MaskedFill.Forward(this, mask, value);

    /// <summary>condition ? x : y elementwise, all three broadcast together (torch.where); condition is bool.
    /// Mixed dtypes promote (float64 over float32 over int64 over bool). Differentiable in x and y.</summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => Ops.Where.Forward(condition, x, y);

    /// <summary>condition ? x : y with a scalar x, which takes y's dtype when y is floating point.</summary>
    public static Tensor Where(Tensor condition, double x, Tensor y) =>
        Ops.Where.Forward(condition, Scalar(x, DTypePromotion.ForScalar(x, y.DType)), y);

    /// <summary>condition ? x : y with a scalar y, which takes x's dtype when x is floating point.</summary>
    public static Tensor Where(Tensor condition, Tensor x, double y) =>
        Ops.Where.Forward(condition, x, Scalar(y, DTypePromotion.ForScalar(y, x.DType)));
}
