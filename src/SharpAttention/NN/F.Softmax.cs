using SharpAttention.Tensors;

namespace SharpAttention.NN;

public static partial class F
{
    /// <summary>Softmax along <paramref name="dim"/> (torch.nn.functional.softmax); see <see cref="Tensor.Softmax"/>.</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (torch.nn.functional.log_softmax); see <see cref="Tensor.LogSoftmax"/>.</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);
}
