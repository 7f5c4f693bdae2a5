using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Root-mean-square normalisation over the trailing <see cref="NormalizedShape"/> dims (PyTorch 2.4's
/// torch.nn.RMSNorm, Zhang &amp; Sennrich 2019): x / √(mean(x²) + eps) · weight. State_dict key "weight", initialised
/// to ones; eps null means the machine epsilon of the input's dtype, as in torch. The functional twin is
/// <see cref="F.RmsNorm"/>.
/// </summary>
public sealed class RmsNorm : Module
{
    readonly int[] normalizedShape;

    public ReadOnlySpan<int> NormalizedShape => normalizedShape;

    /// <summary>Null: torch.finfo(x.dtype).eps at each call.</summary>
    public double? Eps { get; }

    /// <summary>NormalizedShape, or null without elementwise affine.</summary>
    public Tensor? Weight { get; }

    public RmsNorm(int[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Any(d => d < 0)) throw new ArgumentException($"RMSNorm: normalized_shape {ShapeUtil.Format(normalizedShape)} has a negative size");
        if (eps is double e && !(e >= 0)) throw new ArgumentException($"RMSNorm: eps must be non-negative, got {e}");
        this.normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        Weight = RegisterParameter("weight", elementwiseAffine ? Tensor.Ones(this.normalizedShape, dtype) : null);
    }

    public RmsNorm(int normalizedShape, double? eps = null, bool elementwiseAffine = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, dtype) { }

    /// <param name="x">(..., *NormalizedShape)</param>
    public Tensor Forward(Tensor x) => F.RmsNorm(x, normalizedShape, Weight, Eps);

    protected override string ExtraRepr() =>
        $"({string.Join(", ", normalizedShape)}{(normalizedShape.Length == 1 ? "," : "")}), eps={(Eps is double e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, " +
        $"elementwise_affine={(Weight != null ? "True" : "False")}";
}
