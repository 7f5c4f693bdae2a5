using SharpAttention.Tensors;

namespace SharpAttention.NN;

/// <summary>
/// Affine layer y = x·Wᵀ + b (PyTorch's torch.nn.Linear); state_dict keys "weight" (out, in) and "bias" (out).
/// Initialised as torch does: weight kaiming_uniform(a = √5), i.e. U(−1/√in, 1/√in), and bias U(−1/√in, 1/√in).
/// The functional twin is <see cref="F.Linear"/>.
/// </summary>
public sealed class Linear : Module
{
    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>(out, in)</summary>
    public Tensor Weight { get; }

    /// <summary>(out), or null when built with bias: false.</summary>
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures < 0 || outFeatures < 0)
            throw new ArgumentException($"Linear: in_features and out_features must be non-negative, got {inFeatures} and {outFeatures}");
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        Weight = RegisterParameter("weight", Tensor.Zeros([outFeatures, inFeatures], dtype));
        Bias = RegisterParameter("bias", bias ? Tensor.Zeros([outFeatures], dtype) : null);
        ResetParameters(generator);
    }

    /// <summary>Redraws weight and bias from torch's default distributions.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5), generator: generator);
        if (Bias != null)
        {
            double bound = InFeatures > 0 ? 1 / Math.Sqrt(InFeatures) : 0;
            Init.Uniform_(Bias, -bound, bound, generator);
        }
    }

    /// <param name="x">(..., in)</param>
    /// <returns>(..., out)</returns>
    public Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);

    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias != null ? "True" : "False")}";
}
