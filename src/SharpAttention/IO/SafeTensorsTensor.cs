using SharpAttention.Tensors;

namespace SharpAttention.IO;

/// <summary>Bridges safetensors entries and tensors: F32/F16/BF16 load as float32, F64 as float64, integer types as
/// int64 and BOOL/U8 as bool.</summary>
public static class SafeTensorsTensor
{
    public static Tensor ToTensor(this SafeTensorEntry entry)
    {
        var t = Load(entry);
        return entry.Shape.Length == 0 ? t.Reshape() : t;   // FromArray reads an empty shape as 1-D
    }

    static Tensor Load(SafeTensorEntry entry) => entry.DType switch
    {
        "F32" or "F16" or "BF16" => Tensor.FromArray(entry.ToFloatArray(), entry.Shape),
        "F64" => Tensor.FromArray(entry.ToDoubleArray(), entry.Shape),
        "I64" or "I32" => Tensor.FromArray(entry.ToInt64Array(), entry.Shape),
        "BOOL" or "U8" => Tensor.FromArray(entry.ToBoolArray(), entry.Shape),
        _ => throw new NotSupportedException($"safetensors: tensor '{entry.Name}' has dtype {entry.DType}, which has no tensor equivalent"),
    };
}
