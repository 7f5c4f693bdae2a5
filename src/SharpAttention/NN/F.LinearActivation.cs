using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

public static partial class F
{
    /// <summary>
    /// activation(x·Wᵀ + b) as one fused op, the first half of a Transformer MLP: <paramref name="activation"/> is
    /// "gelu" (exact), "gelu_tanh" (torch's approximate="tanh") or "relu". Equal to rounding to
    /// <c>F.Gelu(F.Linear(x, weight, bias))</c> and its kin, with one pass less each way: the bias is added and the
    /// activation applied in one sweep after the GEMM, and backward gets the bias gradient in the same sweep.
    /// </summary>
    public static Tensor LinearActivation(Tensor x, Tensor weight, Tensor? bias, string activation) =>
        Ops.LinearActivation.Forward(x, weight, bias, Ops.LinearActivation.Parse(activation));
}
