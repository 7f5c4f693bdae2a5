namespace SharpAttention.Tensors;

/// <summary>The common dtype two operands are converted to before a mixed-dtype op (a simplified form of
/// torch.result_type): Float64 &gt; Float32 &gt; Int64 &gt; Bool.</summary>
internal static class DTypePromotion
{
    public static DType Common(DType a, DType b) => Rank(a) >= Rank(b) ? a : b;

    /// <summary>torch.result_type for two tensors: a 0-d tensor does not widen a dimensioned one of the same
    /// category (float32 tensor with a float64 0-d tensor stays float32), but does lift its category
    /// (int64 tensor with a float64 0-d tensor gives float64).</summary>
    public static DType Common(Tensor a, Tensor b)
    {
        bool aDims = a.Dim > 0, bDims = b.Dim > 0;
        if (aDims == bDims) return Common(a.DType, b.DType);
        var (dimmed, zeroDim) = aDims ? (a.DType, b.DType) : (b.DType, a.DType);
        return Category(zeroDim) > Category(dimmed) ? zeroDim : dimmed;
    }

    static int Category(DType d) => d switch
    {
        DType.Float64 or DType.Float32 => 2,
        DType.Int64 => 1,
        _ => 0,
    };

    /// <summary>The dtype a double scalar takes next to a tensor of dtype <paramref name="other"/>: the tensor's own
    /// float dtype, Int64 for an integral value next to an integer or bool tensor, else
    /// <paramref name="fractional"/>.</summary>
    public static DType ForScalar(double value, DType other, DType fractional = DType.Float32) =>
        other.IsFloatingPoint() ? other
        : IsInt64(value) ? DType.Int64
        : fractional;

    /// <summary>Whether <paramref name="value"/> is an integer that an Int64 holds exactly.</summary>
    public static bool IsInt64(double value) => Math.Floor(value) == value && value >= -9.2233720368547758e18 && value < 9.2233720368547758e18;

    static int Rank(DType d) => d switch
    {
        DType.Float64 => 3,
        DType.Float32 => 2,
        DType.Int64 => 1,
        _ => 0,
    };
}
