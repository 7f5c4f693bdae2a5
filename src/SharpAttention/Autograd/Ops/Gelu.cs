using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>GELU (torch.nn.functional.gelu): approximate "none" is x·Φ(x) with the exact normal CDF, "tanh" is
/// ½x(1 + tanh(√(2/π)(x + 0.044715x³))). Forward and the exact derivative of the chosen form are fused kernels
/// (Kernels/Simd/Activations.cs); backward saves only the input.</summary>
internal static class Gelu
{
    public static Tensor Forward(Tensor x, string approximate)
    {
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw new ArgumentException($"gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\""),
        };
        var y = tanh ? Unary.Compute<GeluTanhOp>(x, "gelu") : Unary.Compute<GeluOp>(x, "gelu");
        if (Graph.NeedsGrad(x)) y.SetGradFn(new Backward(x, tanh));
        return y;
    }

    sealed class Backward(Tensor x, bool tanh) : GradFn(x)
    {
        SavedTensor savedX = new(x);

        protected internal override Tensor?[] Apply(Tensor grad) =>
            [tanh ? ActivationBackward.Compute<GeluTanhOp>(savedX.Get(), grad) : ActivationBackward.Compute<GeluOp>(savedX.Get(), grad)];

        protected override void ReleaseSaved() => savedX.Clear();
    }
}
