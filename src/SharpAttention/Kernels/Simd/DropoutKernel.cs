using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SharpAttention.Kernels.Threading;
using static SharpAttention.Kernels.Simd.Fmix32;

namespace SharpAttention.Kernels.Simd;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014, scaled as torch.nn.functional.dropout): y = keep(i) ? x / q : x·0, with q
/// the keep probability. The mask is never stored: whether element i (its index in row-major order) is kept is a
/// pure function of a 64-bit key and i — <see cref="Hash"/>(key, i) &lt; threshold — a counter-based generator in the
/// sense of Salmon et al. ("Parallel random numbers: as easy as 1, 2, 3", 2011). Forward draws one key from the
/// seeded generator; backward recomputes the same bits from it. Any chunk computes its elements alone, so the result
/// is the same for every thread count and chunking, and the SIMD lanes agree with the scalar formula.
/// Dropped elements are x·0 rather than 0 so NaN and ±Inf inputs give NaN, as PyTorch's x·mask does; kept elements
/// are divided rather than multiplied by a rounded 1/q so they equal x / q exactly.
/// </summary>
internal static class DropoutKernel
{
    const uint IndexMul = 0x9E3779B1u;

    /// <summary>Hashes below this are kept: keep probability q (not the drop probability p) resolved to 2⁻³²; q ≤ 0
    /// keeps nothing, q ≥ 1 gives uint.MaxValue, which still drops the one hash 0xFFFFFFFF (F.Dropout returns x itself
    /// for p = 0 and never gets here).</summary>
    public static uint KeepThreshold(double keepProb) =>
        keepProb <= 0 ? 0u : keepProb >= 1 ? uint.MaxValue : (uint)(keepProb * 4294967296.0);

    /// <summary>The 32-bit draw of element i: two rounds of the murmur3 finaliser (a bijection with full avalanche),
    /// keyed by the low and high halves of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ulong key, uint i) => Mix(Mix((i * IndexMul) ^ (uint)key) ^ (uint)(key >> 32));

    /// <summary>y[i] = x[i] / keepProb where <see cref="Hash"/>(key, i) &lt; threshold, else x[i]·0; chunks of the
    /// span are shared over the thread team.</summary>
    public static void Apply<T>(ReadOnlySpan<T> x, ulong key, uint threshold, T keepProb, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length != x.Length)
            throw new ArgumentException($"dropout kernel: lengths differ (x {x.Length}, y {y.Length})");
        ChunkedFor.For(x.Length, 4, new Chunk<T>(x, key, threshold, keepProb, y));
    }

    readonly ref struct Chunk<T>(ReadOnlySpan<T> x, ulong key, uint threshold, T keepProb, Span<T> y) : IRangeBody
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        readonly ReadOnlySpan<T> x = x;
        readonly Span<T> y = y;

        public void Run(int start, int end) => ApplyChunk(x[start..end], (uint)start, key, threshold, keepProb, y[start..end]);
    }

    /// <summary>One chunk whose first element has index <paramref name="first"/> in the whole tensor.</summary>
    static void ApplyChunk<T>(ReadOnlySpan<T> x, uint first, ulong key, uint threshold, T keepProb, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, i = 0;
        if (Vector256.IsHardwareAccelerated && SimdWidth.Current >= 256 && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            ref T xr = ref MemoryMarshal.GetReference(x);
            ref T yr = ref MemoryMarshal.GetReference(y);
            var q = Vector256.Create(keepProb);
            var lo = Vector256.Create((uint)key);
            var hi = Vector256.Create((uint)(key >> 32));
            var limit = Vector256.Create(threshold);
            var index = Vector256.Create(first) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var step = Vector256.Create(8u);
            for (; i <= n - 8; i += 8, index += step)
            {
                // 8 draws: one float vector, or two double vectors (the mask's lanes widened to 64 bits).
                var keep = Vector256.LessThan(Mix(Mix((index * IndexMul) ^ lo) ^ hi), limit).AsInt32();
                if (typeof(T) == typeof(float))
                {
                    var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                    Vector256.ConditionalSelect(keep.As<int, T>(), xv / q, xv * Vector256<T>.Zero).StoreUnsafe(ref yr, (nuint)i);
                }
                else
                {
                    var x0 = Vector256.LoadUnsafe(ref xr, (nuint)i);
                    var x1 = Vector256.LoadUnsafe(ref xr, (nuint)(i + 4));
                    Vector256.ConditionalSelect(Vector256.WidenLower(keep).As<long, T>(), x0 / q, x0 * Vector256<T>.Zero).StoreUnsafe(ref yr, (nuint)i);
                    Vector256.ConditionalSelect(Vector256.WidenUpper(keep).As<long, T>(), x1 / q, x1 * Vector256<T>.Zero).StoreUnsafe(ref yr, (nuint)(i + 4));
                }
            }
        }
        for (; i < n; i++) y[i] = Hash(key, first + (uint)i) < threshold ? x[i] / keepProb : x[i] * T.Zero;
    }
}
