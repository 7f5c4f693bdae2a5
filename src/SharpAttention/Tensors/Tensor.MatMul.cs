using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Matrix products (torch.matmul).
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with torch.matmul's rules: (k)·(k) → () dot product; (m, k)·(k, n) → (m, n);
    /// a 1-D operand is treated as a row (left) or column (right) whose dim is removed from the result;
    /// (..., m, k)·(..., k, n) → (..., m, n) with the batch dims broadcast, e.g. (2,1,3,4)·(5,4,6) → (2,5,3,6).
    /// Both tensors must have the same floating point dtype.
    /// </summary>
    public Tensor MatMul(Tensor other) => Ops.MatMul.Forward(this, other);
}
