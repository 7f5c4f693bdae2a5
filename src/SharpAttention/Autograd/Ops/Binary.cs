using System.Numerics;
using SharpAttention.Kernels.Simd;
using SharpAttention.Tensors;

namespace SharpAttention.Autograd.Ops;

/// <summary>Shared forward for broadcasting elementwise binary ops: dtype promotion (float32 with float64 gives
/// float64, as in PyTorch), the broadcast shape, and the kernel call. Each op's file adds its backward.</summary>
internal static class Binary
{
    /// <summary>Promotes a and b to their common float dtype (torch.result_type; differentiably) or throws naming the op.</summary>
    public static (Tensor A, Tensor B) Promote(Tensor a, Tensor b, string op)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.DType.IsFloatingPoint() || !b.DType.IsFloatingPoint())
            throw new ArgumentException(
                $"{op}: expected floating point tensors, got {a.DType.TorchName()} {ShapeUtil.Format(a.Shape)} and {b.DType.TorchName()} {ShapeUtil.Format(b.Shape)}");
        if (a.DType == b.DType) return (a, b);
        var dtype = DTypePromotion.Common(a, b);
        return (a.To(dtype), b.To(dtype));
    }

    public static Tensor Compute<TOp>(Tensor a, Tensor b, string op) where TOp : IBinaryOp
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape, op);
        var y = Tensor.Empty(shape, a.DType);
        var sa = BroadcastStrides(a, shape);
        var sb = BroadcastStrides(b, shape);
        if (a.DType == DType.Float32) Run<TOp, float>(a, sa, b, sb, y, shape);
        else Run<TOp, double>(a, sa, b, sb, y, shape);
        return y;
    }

    static void Run<TOp, T>(Tensor a, int[] sa, Tensor b, int[] sb, Tensor y, int[] shape)
        where TOp : IBinaryOp where T : unmanaged, IFloatingPointIeee754<T> =>
        Broadcast.Binary<TOp, T>(a.Storage.As<T>(), a.Offset, sa, b.Storage.As<T>(), b.Offset, sb, y.Span<T>(), shape);

    /// <summary>Strides of t read as the broadcast shape: 0 along broadcast and missing leading dims.</summary>
    public static int[] BroadcastStrides(Tensor t, int[] shape)
    {
        var strides = new int[shape.Length];
        int lead = shape.Length - t.Dim;
        for (int i = lead; i < shape.Length; i++)
            strides[i] = t.Shape[i - lead] == 1 && shape[i] != 1 ? 0 : t.Strides[i - lead];
        return strides;
    }
}
