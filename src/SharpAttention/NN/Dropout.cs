using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Inverted dropout (PyTorch's torch.nn.Dropout): in training mode zeroes each element with probability p and scales
/// the rest by 1/(1−p); in eval mode the identity. Masks come from <paramref name="generator"/> (default
/// <see cref="Generator.Default"/>). The functional twin is <see cref="F.Dropout"/>.
/// </summary>
public sealed class Dropout(double p = 0.5, Generator? generator = null) : Module
{
    public double P { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentException($"dropout probability has to be between 0 and 1, but got {p}");

    public Tensor Forward(Tensor x) => F.Dropout(x, P, Training, generator);

    protected override string ExtraRepr() => $"p={P}, inplace=False";
}
