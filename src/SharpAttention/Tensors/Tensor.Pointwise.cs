using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.Tensors;

// Elementwise math and activations (torch.neg, exp, log, ..., gelu). All differentiable; float32 and float64 only.
// NaN and ±∞ propagate as in PyTorch (exp(∞) = ∞, log(−1) = NaN, relu(NaN) = NaN).
public sealed partial class Tensor
{
    /// <summary>−x (torch.neg).</summary>
    public Tensor Neg() => Ops.Neg.Forward(this);

    /// <summary>eˣ elementwise (torch.exp).</summary>
    public Tensor Exp() => Ops.Exp.Forward(this);

    /// <summary>Natural logarithm elementwise (torch.log): NaN below 0, −∞ at 0.</summary>
    public Tensor Log() => Ops.Log.Forward(this);

    /// <summary>√x elementwise (torch.sqrt): NaN below 0.</summary>
    public Tensor Sqrt() => Ops.Sqrt.Forward(this);

    /// <summary>1/√x elementwise (torch.rsqrt), computed exactly rather than with the hardware estimate.</summary>
    public Tensor Rsqrt() => Ops.Rsqrt.Forward(this);

    /// <summary>xᵖ elementwise for a constant exponent (torch.pow); the gradient is 0 when p = 0.</summary>
    public Tensor Pow(double exponent) => Ops.PowScalar.Forward(this, exponent);

    /// <summary>xᵉ elementwise with broadcasting (torch.pow), differentiable in both the base and the exponent.</summary>
    public Tensor Pow(Tensor exponent) => Ops.Pow.Forward(this, exponent);

    /// <summary>Hyperbolic tangent elementwise (torch.tanh).</summary>
    public Tensor Tanh() => Ops.Tanh.Forward(this);

    /// <summary>Logistic sigmoid 1/(1 + e^(−x)) elementwise (torch.sigmoid).</summary>
    public Tensor Sigmoid() => Ops.Sigmoid.Forward(this);

    /// <summary>max(x, 0) elementwise (torch.relu); gradient 0 at x ≤ 0 as in PyTorch.</summary>
    public Tensor Relu() => Ops.Relu.Forward(this);

    /// <summary>Gaussian error linear unit (torch.nn.functional.gelu): <paramref name="approximate"/> "none" is
    /// x·Φ(x) with the exact normal CDF, "tanh" is ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public Tensor Gelu(string approximate = "none") => Ops.Gelu.Forward(this, approximate);

    /// <summary>x·σ(x) elementwise (torch.nn.functional.silu, also called swish).</summary>
    public Tensor Silu() => Ops.Silu.Forward(this);

    /// <summary>|x| elementwise (torch.abs); the gradient at 0 is 0.</summary>
    public Tensor Abs() => Ops.Abs.Forward(this);

    /// <summary>Clamps every element into [min, max]; either bound may be omitted, not both (torch.clamp).
    /// The gradient passes where min ≤ x ≤ max and is 0 where the value was clamped.</summary>
    public Tensor Clamp(double? min = null, double? max = null) => Ops.Clamp.Forward(this, min, max);
}
