using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

// Dropout (torch.nn.functional.dropout).
public static partial class F
{
    /// <summary>
    /// During training, zeroes each element of <paramref name="x"/> with probability <paramref name="p"/> and scales
    /// the others by 1/(1−p) (inverted dropout, Srivastava et al. 2014). Returns <paramref name="x"/> itself when
    /// <paramref name="training"/> is false or p is 0; p = 1 gives zeros (NaN where x is NaN or ±Inf, as x·0 does).
    /// The mask is drawn from <paramref name="generator"/> (default <see cref="Generator.Default"/>), so the same
    /// seed gives the same mask; backward applies the same mask and scale to the gradient.
    /// </summary>
    /// <exception cref="ArgumentException">p is outside [0, 1], or x is not a floating point tensor.</exception>
    public static Tensor Dropout(Tensor x, double p = 0.5, bool training = true, Generator? generator = null) =>
        Ops.Dropout.Forward(x, p, training, generator);
}
