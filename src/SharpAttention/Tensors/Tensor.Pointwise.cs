using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Elementwise math (torch.neg, exp, log, ...).
public sealed partial class Tensor
{
    public Tensor Neg() => Ops.Neg.Forward(this);
}
