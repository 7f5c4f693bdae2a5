using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

public static partial class F
{
    /// <summary>
    /// Looks up rows of <paramref name="weight"/> (V, D) for Int64 <paramref name="ids"/> of any shape, giving
    /// (..., D) (torch.nn.functional.embedding). The row at <paramref name="paddingIdx"/> (negative counts from the
    /// end) receives no gradient. Ids outside [0, V) are an error naming the id and V.
    /// </summary>
    public static Tensor Embedding(Tensor ids, Tensor weight, int? paddingIdx = null) => Ops.Embedding.Forward(ids, weight, paddingIdx);
}
