using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// One position of an elementwise kernel at every width: Step512(i) handles elements [i, i + Vector512&lt;T&gt;.Count),
/// and so on down to Step1(i), one element. A ref struct holding the kernel's spans and scalars implements it;
/// <see cref="SimdLoop.Map"/> drives it. Kernels whose steps use only +, −, ×, ÷, √ and fused multiply-add give the
/// same bits at every width, since each lane is the same IEEE operation sequence.
/// </summary>
internal interface IMapStep
{
    void Step512(int i);
    void Step256(int i);
    void Step128(int i);
    void Step1(int i);
}

/// <summary>The term a sum kernel adds at one position, at every width (see <see cref="SimdLoop.Sum"/>).</summary>
internal interface ISumStep<T> where T : unmanaged
{
    Vector512<T> Term512(int i);
    Vector256<T> Term256(int i);
    Vector128<T> Term128(int i);
    T Term1(int i);
}

/// <summary>
/// The drivers shared by the operator-struct kernels: the widest width <see cref="SimdWidth.Current"/> allows runs
/// the bulk, then each narrower width takes what is left, down to single elements, so any length works and the tail
/// is handled in one place.
/// </summary>
internal static class SimdLoop
{
    /// <summary>Runs op over elements [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<TOp, T>(ref TOp op, int start, int end)
        where TOp : struct, IMapStep, allows ref struct where T : unmanaged
    {
        int i = start, width = SimdWidth.Current;
        if (Vector512.IsHardwareAccelerated && width >= 512)
            for (; i <= end - Vector512<T>.Count; i += Vector512<T>.Count) op.Step512(i);
        if (Vector256.IsHardwareAccelerated && width >= 256)
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count) op.Step256(i);
        if (Vector128.IsHardwareAccelerated && width >= 128)
            for (; i <= end - Vector128<T>.Count; i += Vector128<T>.Count) op.Step128(i);
        for (; i < end; i++) op.Step1(i);
    }

    /// <summary>Σ of op's terms over [0, n): blocks of <see cref="ReduceKernel.Block"/> elements are summed in
    /// vector lanes of T and the block totals in double, so the error stays a few ulps of T for any length.</summary>
    public static double Sum<TOp, T>(ref TOp op, int n)
        where TOp : struct, ISumStep<T>, allows ref struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int b = 0; b < n; b += ReduceKernel.Block)
            total += double.CreateTruncating(BlockSum<TOp, T>(ref op, b, Math.Min(n, b + ReduceKernel.Block)));
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T BlockSum<TOp, T>(ref TOp op, int i, int end)
        where TOp : struct, ISumStep<T>, allows ref struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = SimdWidth.Current;
        T sum = T.Zero;
        if (Vector512.IsHardwareAccelerated && width >= 512 && i <= end - Vector512<T>.Count)
        {
            var acc = Vector512<T>.Zero;
            for (; i <= end - Vector512<T>.Count; i += Vector512<T>.Count) acc += op.Term512(i);
            sum += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && width >= 256 && i <= end - Vector256<T>.Count)
        {
            var acc = Vector256<T>.Zero;
            for (; i <= end - Vector256<T>.Count; i += Vector256<T>.Count) acc += op.Term256(i);
            sum += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && width >= 128 && i <= end - Vector128<T>.Count)
        {
            var acc = Vector128<T>.Zero;
            for (; i <= end - Vector128<T>.Count; i += Vector128<T>.Count) acc += op.Term128(i);
            sum += Vector128.Sum(acc);
        }
        for (; i < end; i++) sum += op.Term1(i);
        return sum;
    }
}
