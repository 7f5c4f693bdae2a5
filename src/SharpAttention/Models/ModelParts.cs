using SharpAttention.NN;
using SharpAttention.Tensors;

namespace SharpAttention.Models;

/// <summary>How token positions enter a model.</summary>
public enum PositionEncoding
{
    /// <summary>Fixed sine/cosine table added to the embeddings (Vaswani et al. 2017, §3.5); buffer "pe".</summary>
    Sinusoidal,

    /// <summary>One trained vector per position added to the embeddings (GPT-2, BERT).</summary>
    Learned,

    /// <summary>RoPE: queries and keys rotated by position inside self-attention (Su et al. 2021; Llama); no state.</summary>
    Rotary,

    /// <summary>ALiBi: a per-head linear distance penalty added to the attention scores (Press et al. 2022); no state.
    /// Decoder-only models.</summary>
    Alibi,
}

/// <summary>An output projection x·Wᵀ (+ b) whose weight may be another module's (weight tying, Press &amp; Wolf 2017):
/// a tied weight is registered here as well, so the state dict carries it under both keys, as torch's does.</summary>
internal sealed class OutputProjection : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public OutputProjection(Tensor weight, Tensor? bias = null)
    {
        Weight = RegisterParameter("weight", weight);
        Bias = RegisterParameter("bias", bias);
    }

    /// <param name="x">(..., D)</param>
    /// <returns>(..., V)</returns>
    public Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);

    protected override string ExtraRepr() => $"in_features={Weight.Size(1)}, out_features={Weight.Size(0)}, bias={(Bias != null ? "True" : "False")}";
}

internal static class ModelParts
{
    /// <summary>(B, T) bool, true where <paramref name="ids"/> equals <paramref name="padId"/>; null without a pad id.</summary>
    public static Tensor? PaddingMask(Tensor ids, int? padId) => padId is int p ? ids.Eq(p) : null;

    /// <summary>The targets with every padding position replaced by <paramref name="ignoreIndex"/>.</summary>
    public static Tensor IgnorePadding(Tensor targets, Tensor? paddingMask, long ignoreIndex) =>
        paddingMask is null ? targets : Tensor.Where(paddingMask, (double)ignoreIndex, targets);

    public static void CheckIds(string model, Tensor ids, int maxLen, bool limitLength)
    {
        if (ids.DType != DType.Int64 || ids.Dim != 2)
            throw new ArgumentException($"{model}: ids must be int64 (B, T), got {ids.DType.TorchName()} {ShapeUtil.Format(ids.Shape)}");
        if (limitLength && ids.Size(1) > maxLen)
            throw new ArgumentException($"{model}: sequence length {ids.Size(1)} exceeds max_len {maxLen}");
    }
}
