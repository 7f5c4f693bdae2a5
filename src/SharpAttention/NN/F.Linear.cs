using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

public static partial class F
{
    /// <summary>
    /// y = x·Wᵀ + b (torch.nn.functional.linear). x (..., in) of any rank ≥ 1, weight (out, in) as in PyTorch,
    /// optional bias (out); returns (..., out). One fused GEMM; the weight is never transposed in memory.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => Ops.Linear.Forward(x, weight, bias);
}
