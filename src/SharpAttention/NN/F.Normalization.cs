using SharpAttention.Tensors;
using Ops = SharpAttention.Autograd.Ops;

namespace SharpAttention.NN;

public static partial class F
{
    /// <summary>Layer normalisation over the trailing dims given by <paramref name="normalizedShape"/>
    /// (torch.nn.functional.layer_norm): (x − mean)/√(var + eps)·weight + bias with the biased variance of each
    /// row. x must end with normalizedShape; weight and bias, when given, must have exactly that shape.</summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Ops.LayerNorm.Forward(x, normalizedShape, weight, bias, eps);

    /// <summary>RMS normalisation over the trailing dims given by <paramref name="normalizedShape"/>
    /// (torch.nn.functional.rms_norm): x/√(mean(x²) + eps)·weight. eps defaults to the machine epsilon of x's
    /// dtype (torch.finfo(dtype).eps: 2⁻²³ for float32, 2⁻⁵² for float64).</summary>
    public static Tensor RmsNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, double? eps = null) =>
        Ops.RmsNorm.Forward(x, normalizedShape, weight, eps);
}
