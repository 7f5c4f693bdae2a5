using SharpAttention.Tensors;

namespace SharpAttention.NN.Transformers;

/// <summary>The feed-forward of a Transformer layer. <see cref="Relu"/> and <see cref="Gelu"/> are torch's
/// activation="relu" / "gelu" (exact erf GELU) between linear1 and linear2; <see cref="SwiGlu"/> replaces both linears
/// by Llama's gated feed-forward, registered as "feed_forward" with "w1", "w2", "w3" (see <see cref="SwiGluFeedForward"/>).</summary>
public enum Activation
{
    Relu,
    Gelu,
    SwiGlu,
}

/// <summary>The normalisation of a Transformer layer: torch's <see cref="NN.LayerNorm"/> (weight and bias) or
/// <see cref="NN.RmsNorm"/> (weight only; Llama). Either is registered as norm1, norm2 (, norm3).</summary>
public enum NormKind
{
    LayerNorm,
    RmsNorm,
}

/// <summary>Pieces shared by the encoder and decoder layers.</summary>
internal static class LayerParts
{
    public static Module Norm(NormKind kind, int dModel, double eps, bool bias, DType dtype) => kind switch
    {
        NormKind.LayerNorm => new LayerNorm(dModel, eps, bias: bias, dtype: dtype),
        NormKind.RmsNorm => new RmsNorm(dModel, eps, dtype: dtype),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown norm"),
    };

    public static Tensor Apply(Module norm, Tensor x) => norm switch
    {
        LayerNorm ln => ln.Forward(x),
        RmsNorm rms => rms.Forward(x),
        _ => throw new InvalidOperationException($"unexpected norm module {norm.GetType().Name}"),
    };

    /// <summary>activation(linear(x)) as the fused <see cref="F.LinearActivation"/> (bias and activation in one sweep
    /// after the GEMM each way); SwiGLU layers use <see cref="SwiGluFeedForward"/> instead.</summary>
    public static Tensor LinearActivate(Activation activation, Linear linear, Tensor x) => activation switch
    {
        Activation.Relu or Activation.Gelu => F.LinearActivation(x, linear.Weight, linear.Bias, Name(activation)),
        _ => throw new InvalidOperationException($"activation {activation} has no pointwise form"),
    };

    public static string Name(Activation a) => a switch { Activation.Relu => "relu", Activation.Gelu => "gelu", _ => "swiglu" };

    public static void Check(string layer, int dModel, int nhead, int dimFeedforward, double dropout, Activation activation)
    {
        if (dModel <= 0 || nhead <= 0 || dModel % nhead != 0)
            throw new ArgumentException($"{layer}: d_model {dModel} must be positive and divisible by nhead {nhead}");
        if (dimFeedforward <= 0) throw new ArgumentException($"{layer}: dim_feedforward must be positive, got {dimFeedforward}");
        if (!(dropout >= 0 && dropout <= 1)) throw new ArgumentException($"{layer}: dropout probability has to be between 0 and 1, but got {dropout}");
        if (!Enum.IsDefined(activation)) throw new ArgumentException($"{layer}: activation should be relu/gelu/swiglu, not {activation}");
    }
}
