using SharpAttention.Tensors;

namespace SharpAttention.NN;

// Activation functions (torch.nn.functional.relu, gelu, silu, sigmoid, tanh); each delegates to the Tensor method.
public static partial class F
{
    /// <summary>max(x, 0) elementwise (torch.nn.functional.relu).</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>GELU (torch.nn.functional.gelu): <paramref name="approximate"/> "none" (exact, x·Φ(x)) or "tanh".</summary>
    public static Tensor Gelu(Tensor x, string approximate = "none") => x.Gelu(approximate);

    /// <summary>x·σ(x) elementwise (torch.nn.functional.silu).</summary>
    public static Tensor Silu(Tensor x) => x.Silu();

    /// <summary>1/(1 + e^(−x)) elementwise (torch.sigmoid).</summary>
    public static Tensor Sigmoid(Tensor x) => x.Sigmoid();

    /// <summary>Hyperbolic tangent elementwise (torch.tanh).</summary>
    public static Tensor Tanh(Tensor x) => x.Tanh();
}
