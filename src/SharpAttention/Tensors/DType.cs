namespace SharpAttention.Tensors;

/// <summary>Element type of a tensor (PyTorch's torch.dtype). Float32 is the working type; Float64 exists so
/// gradient checks can run in double precision; Int64 holds token ids, indices and class targets; Bool holds masks.</summary>
public enum DType
{
    Float32,
    Float64,
    Int64,
    Bool,
}

public static class DTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int64 => 8,
        DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>PyTorch's spelling, used in messages and ToString.</summary>
    public static string TorchName(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
