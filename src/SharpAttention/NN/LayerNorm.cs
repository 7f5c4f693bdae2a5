using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Layer normalisation over the trailing <see cref="NormalizedShape"/> dims (PyTorch's torch.nn.LayerNorm, Ba et al.
/// 2016); state_dict keys "weight" and "bias", initialised to ones and zeros. The functional twin is
/// <see cref="F.LayerNorm"/>.
/// </summary>
public sealed class LayerNorm : Module
{
    readonly int[] normalizedShape;

    public ReadOnlySpan<int> NormalizedShape => normalizedShape;
    public double Eps { get; }

    /// <summary>NormalizedShape, or null without elementwise affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>NormalizedShape, or null without elementwise affine or with bias: false.</summary>
    public Tensor? Bias { get; }

    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
    {
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        Weight = RegisterParameter("weight", elementwiseAffine ? Tensor.Ones(this.normalizedShape, dtype) : null);
        Bias = RegisterParameter("bias", elementwiseAffine && bias ? Tensor.Zeros(this.normalizedShape, dtype) : null);
    }

    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, bias, dtype) { }

    /// <param name="x">(..., *NormalizedShape)</param>
    public Tensor Forward(Tensor x) => F.LayerNorm(x, normalizedShape, Weight, Bias, Eps);

    protected override string ExtraRepr() =>
        $"({string.Join(", ", normalizedShape)}{(normalizedShape.Length == 1 ? "," : "")}), eps={Eps}, elementwise_affine={(Weight != null ? "True" : "False")}";
}
