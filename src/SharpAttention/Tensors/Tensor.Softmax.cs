using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Softmax family along one dim (torch.softmax, torch.log_softmax).
public sealed partial class Tensor
{
    /// <summary>exp(x − max) / Σ exp(x − max) along <paramref name="dim"/> (torch.softmax). Large logits are safe;
    /// a slice that is entirely −inf (e.g. a fully masked attention row) comes out NaN, as in torch.</summary>
    public Tensor Softmax(int dim) => Ops.Softmax.Forward(this, dim);

    /// <summary>x − max − log Σ exp(x − max) along <paramref name="dim"/> (torch.log_softmax); −inf inputs stay −inf
    /// unless the whole slice is −inf, which gives NaN as in torch.</summary>
    public Tensor LogSoftmax(int dim) => Ops.LogSoftmax.Forward(this, dim);
}
