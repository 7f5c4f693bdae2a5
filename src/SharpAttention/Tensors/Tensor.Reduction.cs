using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Reductions (torch.sum, mean, var, max, min, argmax, argmin). Dims may be negative; keepdim leaves size-1 dims
// where the reduced ones were. An empty dims list reduces every dim, as in torch.
public sealed partial class Tensor
{
    /// <summary>Sum of all elements as a 0-d tensor (torch.sum). Int64 and Bool tensors sum to Int64.</summary>
    public Tensor Sum() => Ops.Sum.Forward(this, [], keepdim: false);

    /// <summary>Sum over one dim (torch.sum(dim, keepdim)).</summary>
    public Tensor Sum(int dim, bool keepdim = false) => Ops.Sum.Forward(this, [dim], keepdim);

    /// <summary>Sum over several dims (torch.sum(dims, keepdim)); a dim may not repeat.</summary>
    public Tensor Sum(int[] dims, bool keepdim = false) => Ops.Sum.Forward(this, dims, keepdim);

    /// <summary>Mean of all elements as a 0-d tensor (torch.mean); NaN for an empty tensor. Float tensors only.</summary>
    public Tensor Mean() => Ops.Mean.Forward(this, [], keepdim: false);

    /// <summary>Mean over one dim (torch.mean(dim, keepdim)).</summary>
    public Tensor Mean(int dim, bool keepdim = false) => Ops.Mean.Forward(this, [dim], keepdim);

    /// <summary>Mean over several dims (torch.mean(dims, keepdim)).</summary>
    public Tensor Mean(int[] dims, bool keepdim = false) => Ops.Mean.Forward(this, dims, keepdim);

    /// <summary>Variance over <paramref name="dims"/> (null: all) dividing by N − correction (torch.var; correction 1
    /// is Bessel's unbiased estimate, 0 the population variance). N ≤ correction gives inf or NaN, as in torch.</summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepdim = false) =>
        Ops.Var.Forward(this, dims ?? [], correction, keepdim);

    /// <summary>Variance over one dim (torch.var(dim, correction, keepdim)).</summary>
    public Tensor Var(int dim, int correction = 1, bool keepdim = false) => Ops.Var.Forward(this, [dim], correction, keepdim);

    /// <summary>Largest element as a 0-d tensor (torch.max()); NaN if any element is NaN. Its gradient is shared
    /// evenly among tied maxima. Throws for an empty tensor.</summary>
    public Tensor Max() => Ops.Max.Forward(this, min: false);

    /// <summary>Largest value along <paramref name="dim"/> and its Int64 index (torch.max(dim, keepdim)); the first
    /// occurrence wins ties and NaN wins over numbers. The gradient flows to the chosen index.</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepdim = false) => Ops.MaxDim.Forward(this, dim, keepdim, min: false);

    /// <summary>Smallest element as a 0-d tensor (torch.min()); see <see cref="Max()"/>.</summary>
    public Tensor Min() => Ops.Max.Forward(this, min: true);

    /// <summary>Smallest value along <paramref name="dim"/> and its Int64 index (torch.min(dim, keepdim)); see <see cref="Max(int, bool)"/>.</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepdim = false) => Ops.MaxDim.Forward(this, dim, keepdim, min: true);

    /// <summary>Int64 index of the largest element of the flattened tensor as a 0-d tensor (torch.argmax()).</summary>
    public Tensor ArgMax() => Ops.ArgMax.Forward(this, null, keepdim: false, min: false);

    /// <summary>Int64 indices of the largest values along <paramref name="dim"/> (torch.argmax(dim, keepdim)); first
    /// occurrence on ties, NaN counts as largest.</summary>
    public Tensor ArgMax(int dim, bool keepdim = false) => Ops.ArgMax.Forward(this, dim, keepdim, min: false);

    /// <summary>Int64 index of the smallest element of the flattened tensor as a 0-d tensor (torch.argmin()).</summary>
    public Tensor ArgMin() => Ops.ArgMax.Forward(this, null, keepdim: false, min: true);

    /// <summary>Int64 indices of the smallest values along <paramref name="dim"/> (torch.argmin(dim, keepdim)).</summary>
    public Tensor ArgMin(int dim, bool keepdim = false) => Ops.ArgMax.Forward(this, dim, keepdim, min: true);
}
