namespace SharpAttention.Onnx;

/// <summary>How a model is written to ONNX (torch.onnx.export's opset_version; Optimum's graph layouts).</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Lowest and highest default-domain opset the exporter writes.</summary>
    public const int MinOpset = 17, MaxOpset = 21;

    /// <summary>The ai.onnx opset: 17 (the default) is the first with LayerNormalization.</summary>
    public int Opset { get; init; } = 17;

    /// <summary>Attention as ONNX Runtime's com.microsoft MultiHeadAttention (faster in ONNX Runtime, not portable to
    /// other runtimes); layers with grouped-query heads keep the composed form.</summary>
    public bool Fused { get; init; }

    internal void Validate()
    {
        if (Opset < MinOpset || Opset > MaxOpset)
            throw new ArgumentException($"ONNX export: opset {Opset} is not supported; choose {MinOpset}..{MaxOpset}");
    }
}
