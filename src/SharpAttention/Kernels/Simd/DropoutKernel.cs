using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// Applies a dropout keep-mask (Srivastava et al. 2014, "inverted" scaling as in torch.nn.functional.dropout):
/// y = keep ? x / q : x·0, with q the keep probability. The same kernel serves forward (x) and backward (grad).
/// Dropped elements are x·0 rather than 0 so NaN and ±Inf inputs give NaN, as PyTorch's x·mask does; kept elements
/// are divided rather than multiplied by a rounded 1/q so they equal x / q exactly.
/// The mask is one bool per element (a quarter of a float32 mask's memory); SIMD lanes widen it to T-sized masks.
/// Fixed chunks of elements are shared over the thread team.
/// </summary>
internal static class DropoutKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> keep, T keepProb, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (keep.Length != x.Length || y.Length != x.Length)
            throw new ArgumentException($"dropout kernel: lengths differ (x {x.Length}, keep {keep.Length}, y {y.Length})");
        ChunkedFor.For(x.Length, 2, new Chunk<T>(x, keep, keepProb, y));
    }

    readonly ref struct Chunk<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> keep, T keepProb, Span<T> y) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x;
        readonly ReadOnlySpan<bool> keep = keep;
        readonly Span<T> y = y;

        public void Run(int start, int end) => ApplyChunk(x[start..end], keep[start..end], keepProb, y[start..end]);
    }

    static void ApplyChunk<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> keep, T keepProb, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && SimdWidth.Current >= 256 && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            ref byte kr = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(keep));
            var q = Vector256.Create(keepProb);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var mask = KeepLanes<T>(ref Unsafe.Add(ref kr, i));
                Vector256.ConditionalSelect(mask, xv / q, xv * Vector256<T>.Zero).StoreUnsafe(ref yr, (nuint)i);
            }
        }
        for (; i < n; i++) y[i] = keep[i] ? x[i] / keepProb : x[i] * T.Zero;
    }

    /// <summary>Vector256&lt;T&gt;.Count bools (bytes 0/1) widened to all-ones / all-zeros lanes of T's width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<T> KeepLanes<T>(ref byte keep) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            // 8 bytes -> 8 ushorts -> 8 uints
            var u16 = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref keep)).AsByte());
            var u32 = Vector256.Create(Vector128.WidenLower(u16), Vector128.WidenUpper(u16));
            return (~Vector256.Equals(u32, Vector256<uint>.Zero)).As<uint, T>();
        }
        else
        {
            // 4 bytes -> 4 ushorts -> 4 uints -> 4 ulongs
            var u16 = Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref keep)).AsByte());
            var u32 = Vector128.WidenLower(u16);
            var u64 = Vector256.Create(Vector128.WidenLower(u32), Vector128.WidenUpper(u32));
            return (~Vector256.Equals(u64, Vector256<ulong>.Zero)).As<ulong, T>();
        }
    }
}
